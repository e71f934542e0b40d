import { type LiveState, useLiveRefetch } from '../../live';
import { useClient } from '../../session-context';

/**
 * Follows the workspace's delivery attempts (the shared live stream) and, for attempts of subscription
 * `webhookId`, refetches its deliveries and the subscription itself (the platform may have disabled it); after
 * a reconnect, both.
 */
export function useLiveDeliveries(webhookId: string): LiveState {
  const client = useClient();
  const keys = [
    ['webhook-deliveries', client.workspace, webhookId],
    ['webhook', client.workspace, webhookId],
  ];
  return useLiveRefetch((event) => (event.type === 'delivery' && event.webhookId === webhookId ? keys : []), keys);
}
