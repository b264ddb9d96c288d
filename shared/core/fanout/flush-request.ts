/** The schema of the fan-out's one message, FlushRequest (ports.ts), as SNS carries it. */
import { z } from 'zod';
import type { FlushRequest } from '../ports';

export const FLUSH_REQUEST: z.ZodType<FlushRequest> = z.strictObject({
  type: z.literal('flush'),
  groupId: z.string(),
  domain: z.string(),
  token: z.string().min(1),
  at: z.number().finite(),
});
