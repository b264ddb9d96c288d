import { describeFlushTriggerContract } from '../../contract/flush-trigger.contract';
import { RecordingTrigger } from './fakes';

describeFlushTriggerContract('RecordingTrigger', async () => {
  const trigger = new RecordingTrigger();
  return { trigger, delivered: async () => trigger.take() };
});
