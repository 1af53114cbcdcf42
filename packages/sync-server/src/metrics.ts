/**
 * The server's Prometheus metrics, one registry per server so several servers can share a
 * process (tests do). Served at GET /metrics.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** The metric handles the server updates. */
export interface Metrics {
  registry: Registry
  documentsLoaded: Gauge
  documentsDormant: Gauge
  connections: Gauge
  /** Bytes handed to sockets and not yet taken by the operating system, over all connections. */
  sendBufferBytes: Gauge
  messagesIn: Counter<'type'>
  messagesOut: Counter<'type'>
  updatesPersisted: Counter
  persistSeconds: Histogram
  compactions: Counter
  bytesStored: Gauge
  rejectedUpdates: Counter<'reason'>
  rejectedConnections: Counter<'reason'>
  errors: Counter<'kind'>
  /** Times a connection over its message budget stopped being read until the budget refilled. */
  readPauses: Counter
  /** Times a silent connection's presence was removed while its socket stayed open (PR2). */
  silencedPresences: Counter
  /** Webhook deliveries held (waiting, in flight, waiting to retry). */
  webhookQueued: Gauge
  /** Webhook events a receiver accepted (2xx). */
  webhookDelivered: Counter
  /** Webhook attempts that failed and may be retried, by reason. */
  webhookFailures: Counter<'reason'>
  /** Webhook events given up on, by reason (queue_full, refused, gave_up, shutdown). */
  webhookDropped: Counter<'reason'>
  /** Count frames received, by type (cached label lookup: this runs per frame). */
  countIn(type: string, by?: number): void
  /** Count frames sent, by type. */
  countOut(type: string, by?: number): void
}

// A labelled counter whose children are looked up once per label value, not on every increment.
function perLabel<L extends string>(counter: Counter<L>, label: L): (value: string, by?: number) => void {
  const children = new Map<string, { inc(by?: number): void }>()
  return (value, by = 1) => {
    let child = children.get(value)
    if (!child) children.set(value, (child = counter.labels({ [label]: value } as Record<L, string>)))
    child.inc(by)
  }
}

/** Create a fresh registry with the server's metrics and Node's default ones. */
export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'quire_', eventLoopMonitoringPrecision: 10 })
  const registers = [registry]
  const metrics = {
    registry,
    documentsLoaded: new Gauge({ name: 'quire_documents_loaded', help: 'Documents currently in memory', registers }),
    documentsDormant: new Gauge({ name: 'quire_documents_dormant', help: 'Loaded documents holding no Y.Doc (unchanged for --release-after-ms)', registers }),
    connections: new Gauge({ name: 'quire_connections', help: 'Open WebSocket connections', registers }),
    sendBufferBytes: new Gauge({
      name: 'quire_send_buffer_bytes',
      help: 'Bytes waiting to be sent, over all connections (bounded by --max-send-buffer-bytes)',
      registers
    }),
    messagesIn: new Counter({ name: 'quire_messages_in_total', help: 'Frames received, by type', labelNames: ['type'], registers }),
    messagesOut: new Counter({ name: 'quire_messages_out_total', help: 'Frames sent, by type', labelNames: ['type'], registers }),
    updatesPersisted: new Counter({ name: 'quire_updates_persisted_total', help: 'Yjs updates written to storage', registers }),
    persistSeconds: new Histogram({
      name: 'quire_persist_seconds',
      help: 'Time to write one group-committed batch',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers
    }),
    compactions: new Counter({ name: 'quire_compactions_total', help: 'Document log compactions', registers }),
    bytesStored: new Gauge({ name: 'quire_bytes_stored', help: 'Bytes stored (snapshot and log) for the documents in memory', registers }),
    rejectedUpdates: new Counter({
      name: 'quire_rejected_updates_total',
      help: 'Updates not applied (read-only access, full document), by reason',
      labelNames: ['reason'],
      registers
    }),
    rejectedConnections: new Counter({
      name: 'quire_rejected_connections_total',
      help: 'Connections refused or closed by the server, by reason',
      labelNames: ['reason'],
      registers
    }),
    errors: new Counter({ name: 'quire_errors_total', help: 'Errors, by kind', labelNames: ['kind'], registers }),
    readPauses: new Counter({
      name: 'quire_read_pauses_total',
      help: 'Times a connection over its message budget (--rate-limit) stopped being read until it refilled',
      registers
    }),
    silencedPresences: new Counter({
      name: 'quire_silenced_presences_total',
      help: 'Times a connection silent for --presence-timeout-ms had its presence removed (its socket stays open)',
      registers
    }),
    webhookQueued: new Gauge({ name: 'quire_webhook_queued', help: 'Webhook deliveries held: waiting, in flight or waiting to retry', registers }),
    webhookDelivered: new Counter({ name: 'quire_webhook_delivered_total', help: 'Webhook events a receiver accepted (2xx)', registers }),
    webhookFailures: new Counter({
      name: 'quire_webhook_failures_total',
      help: 'Webhook attempts that failed and may be retried (timeout, connection, status_5xx, status_4xx for 408/429)',
      labelNames: ['reason'],
      registers
    }),
    webhookDropped: new Counter({
      name: 'quire_webhook_dropped_total',
      help: 'Webhook events given up on: queue_full, refused (4xx), gave_up (out of attempts), shutdown (flush ran out of time)',
      labelNames: ['reason'],
      registers
    })
  }
  return { ...metrics, countIn: perLabel(metrics.messagesIn, 'type'), countOut: perLabel(metrics.messagesOut, 'type') }
}
