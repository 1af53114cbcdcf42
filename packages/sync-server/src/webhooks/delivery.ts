/**
 * Webhook delivery: a bounded queue of (receiver, event) deliveries, posted off the write and
 * relay paths. An attempt that fails for a reason that may pass (timeout, connection error, 5xx,
 * 408, 429) is retried with exponential backoff and jitter; any other answer outside 2xx is the
 * receiver saying no, and is final. A delivery that cannot be held (the queue is full), is
 * refused, runs out of attempts, or is still waiting when the shutdown flush runs out of time is
 * dropped: counted in `quire_webhook_dropped_total{reason}` and logged.
 */
import { type ClientRequest, Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { Logger } from 'pino'
import type { Metrics } from '../metrics.js'
import type { WebhookEvent } from './event.js'
import { SIGNATURE_HEADER, signatureHeader, TIMESTAMP_HEADER } from './signature.js'

/** Where and how events are delivered. */
export interface DeliverySettings {
  /** Receivers; every event goes to each. */
  urls: readonly string[]
  /** HMAC key for the signature header. */
  secret: string
  /** One attempt (connect, send, the whole answer) must finish within this time. */
  timeoutMs: number
  /** Deliveries held at once (waiting, in flight or waiting to retry), over all receivers. */
  maxQueued: number
}

/** How failed attempts are retried. */
export interface RetryPolicy {
  /** Attempts per delivery, the first included. */
  maxAttempts: number
  /** Backoff before the second attempt; it doubles each time, up to `maxMs`. */
  baseMs: number
  maxMs: number
}

/** About two minutes of retries: 0.5, 1, 2, 4, 8, 16, 32 s (each with jitter). */
export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 8, baseMs: 500, maxMs: 60_000 }

// Requests in flight to one receiver; the rest wait in order.
const IN_FLIGHT_PER_RECEIVER = 4
// A full queue is logged at most this often (with how many were dropped meanwhile).
const FULL_LOG_INTERVAL_MS = 10_000

interface Receiver {
  url: URL
  /** The URL without credentials or query, for logs. */
  label: string
  waiting: Delivery[]
  inFlight: number
}

interface Delivery {
  receiver: Receiver
  event: WebhookEvent
  body: string
  attempts: number
}

type Attempt = { status: number } | { failure: 'timeout' | 'connection' }

/** The webhook sender of one server. */
export class WebhookDelivery {
  private readonly receivers: Receiver[]
  private readonly agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) }
  private held = 0
  private readonly retries = new Set<NodeJS.Timeout>()
  private readonly requests = new Set<ClientRequest>()
  private closing = false
  private closed = false
  private emptied: Array<() => void> = []
  private lastFullLog = 0
  private droppedFull = 0

  constructor(
    private readonly settings: DeliverySettings,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly retry: RetryPolicy = defaultRetryPolicy
  ) {
    this.receivers = settings.urls.map((url) => {
      const parsed = new URL(url)
      return { url: parsed, label: `${parsed.origin}${parsed.pathname}`, waiting: [], inFlight: 0 }
    })
  }

  /** Deliveries held now. */
  get queued(): number {
    return this.held
  }

  /** Queue `event` for every receiver; never blocks, never throws. */
  send(event: WebhookEvent): void {
    const body = JSON.stringify(event)
    for (const receiver of this.receivers) {
      if (this.closed) {
        this.metrics.webhookDropped.inc({ reason: 'shutdown' })
        continue
      }
      if (this.held >= this.settings.maxQueued) {
        this.queueFull(receiver, event)
        continue
      }
      this.held++
      this.metrics.webhookQueued.inc()
      receiver.waiting.push({ receiver, event, body, attempts: 0 })
      this.pump(receiver)
    }
  }

  /**
   * Clean shutdown: keep delivering (retries included) until nothing is held or `timeoutMs` has
   * passed, then drop what is left (counted as `shutdown`) and stop. Never rejects.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.closing = true
    if (this.held > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([new Promise<void>((resolve) => this.emptied.push(resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
      clearTimeout(timer)
    }
    this.closed = true
    if (this.held > 0) this.log.warn({ dropped: this.held }, 'webhook events still undelivered when the shutdown flush ran out of time; dropped')
    for (const timer of this.retries) {
      clearTimeout(timer)
      this.finish('shutdown')
    }
    this.retries.clear()
    for (const receiver of this.receivers) for (const _ of receiver.waiting.splice(0)) this.finish('shutdown')
    // Their attempts end as failures and, the sender being closed, as drops.
    for (const request of this.requests) request.destroy()
    this.agents.http.destroy()
    this.agents.https.destroy()
  }

  private pump(receiver: Receiver): void {
    while (!this.closed && receiver.inFlight < IN_FLIGHT_PER_RECEIVER && receiver.waiting.length > 0) {
      void this.attempt(receiver.waiting.shift() as Delivery)
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const receiver = delivery.receiver
    delivery.attempts++
    receiver.inFlight++
    const result = await this.post(delivery)
    receiver.inFlight--
    if ('status' in result && result.status >= 200 && result.status < 300) {
      this.metrics.webhookDelivered.inc()
      this.finish()
    } else if ('status' in result && !retryable(result.status)) {
      this.log.warn(
        { webhook: receiver.label, event: delivery.event.type, id: delivery.event.id, status: result.status },
        'webhook receiver refused an event; not retried'
      )
      this.finish('refused')
    } else {
      const reason = 'status' in result ? `status_${Math.floor(result.status / 100)}xx` : result.failure
      this.metrics.webhookFailures.inc({ reason })
      if (this.closed) this.finish('shutdown')
      else if (delivery.attempts >= this.retry.maxAttempts) {
        this.log.warn(
          { webhook: receiver.label, event: delivery.event.type, id: delivery.event.id, attempts: delivery.attempts, reason },
          'webhook event dropped after its last attempt'
        )
        this.finish('gave_up')
      } else this.retryLater(delivery)
    }
    this.pump(receiver)
  }

  // Exponential backoff with "equal jitter": half the step for sure, the other half at random, so
  // that many servers retrying one receiver spread out while each still backs off.
  private retryLater(delivery: Delivery): void {
    const step = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** (delivery.attempts - 1))
    const timer = setTimeout(
      () => {
        this.retries.delete(timer)
        delivery.receiver.waiting.push(delivery)
        this.pump(delivery.receiver)
      },
      step / 2 + Math.random() * (step / 2)
    )
    timer.unref()
    this.retries.add(timer)
  }

  private post(delivery: Delivery): Promise<Attempt> {
    const { url } = delivery.receiver
    const timestamp = Math.floor(Date.now() / 1000)
    const https = url.protocol === 'https:'
    return new Promise((resolve) => {
      let settled = false
      const settle = (result: Attempt) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.requests.delete(request)
        resolve(result)
      }
      const request = (https ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        agent: https ? this.agents.https : this.agents.http,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(delivery.body),
          'User-Agent': 'Quire-Webhooks/1',
          'Quire-Event': delivery.event.type,
          'Quire-Delivery': delivery.event.id,
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signatureHeader(this.settings.secret, timestamp, delivery.body)
        }
      })
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        request.destroy()
      }, this.settings.timeoutMs)
      this.requests.add(request)
      request.on('response', (response) => {
        // The answer's body means nothing to us; reading it to its end frees the connection.
        response.resume()
        response.on('end', () => settle({ status: response.statusCode ?? 0 }))
        response.on('error', () => settle({ failure: timedOut ? 'timeout' : 'connection' }))
      })
      request.on('error', () => settle({ failure: timedOut ? 'timeout' : 'connection' }))
      request.on('close', () => settle({ failure: timedOut ? 'timeout' : 'connection' }))
      request.end(delivery.body)
    })
  }

  private queueFull(receiver: Receiver, event: WebhookEvent): void {
    this.metrics.webhookDropped.inc({ reason: 'queue_full' })
    this.droppedFull++
    const now = Date.now()
    if (now - this.lastFullLog < FULL_LOG_INTERVAL_MS) return
    this.log.warn(
      { webhook: receiver.label, event: event.type, document: event.document, held: this.held, dropped: this.droppedFull },
      'webhook queue full (receivers too slow or down); events dropped'
    )
    this.lastFullLog = now
    this.droppedFull = 0
  }

  // A delivery leaves the queue: delivered (no reason) or dropped for `reason`.
  private finish(reason?: string): void {
    if (reason) this.metrics.webhookDropped.inc({ reason })
    this.held--
    this.metrics.webhookQueued.dec()
    if (this.held === 0 && this.closing) for (const resolve of this.emptied.splice(0)) resolve()
  }
}

// 408 and 429 say "not now"; other 4xx (and 3xx: redirects are not followed) say "never".
function retryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429 || status < 200
}
