/**
 * The form shown when the page was opened without an admin token: it asks
 * for the WebSocket URL, the token and (local stack only) the stats URL.
 * What it is given goes to sessionStorage, which lives as long as the tab,
 * and not into the address bar, where the token would end up in history.
 */
import type { ConsoleParams } from '../params';
import { h } from './dom';

export function connectForm(
  defaults: Partial<ConsoleParams>,
  message: string,
  onSubmit: (params: ConsoleParams) => void,
): HTMLElement {
  const field = (name: keyof ConsoleParams, label: string, type: string, required: boolean) => {
    const input = h('input', { name, type, autocomplete: 'off', size: '48' });
    input.value = defaults[name] ?? '';
    input.required = required;
    return { input, row: h('label', {}, h('span', {}, label), input) };
  };
  const wsUrl = field('wsUrl', 'WebSocket URL', 'url', true);
  const adminToken = field('adminToken', 'Admin token', 'password', true);
  const statsUrl = field('statsUrl', 'Stats URL (local stack only)', 'url', false);
  const form = h(
    'form',
    { class: 'connect-form', 'data-testid': 'connect-form' },
    h('p', {}, message),
    wsUrl.row,
    adminToken.row,
    statsUrl.row,
    h('button', { type: 'submit' }, 'Connect'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params: ConsoleParams = { wsUrl: wsUrl.input.value.trim(), adminToken: adminToken.input.value.trim() };
    const stats = statsUrl.input.value.trim();
    if (stats) params.statsUrl = stats;
    onSubmit(params);
  });
  return form;
}
