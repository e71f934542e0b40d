import type { components } from './generated/data-service.js';

export type LiveRunEvent = components['schemas']['LiveRunEvent'];
export type LiveDeliveryEvent = components['schemas']['LiveDeliveryEvent'];
export type LiveRecordEvent = components['schemas']['LiveRecordEvent'];
export type LiveEvent = LiveRunEvent | LiveDeliveryEvent | LiveRecordEvent;
export type LiveTopic = LiveEvent['type'];

/**
 * The events of a `text/event-stream` body, as they arrive: each `data:` of an `event:` of the live topics,
 * parsed. Comments (keepalives) and other fields are skipped. Ends when the body ends.
 */
export async function* liveEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<LiveEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffered += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const frame = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = frame
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (data) yield JSON.parse(data) as LiveEvent;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
