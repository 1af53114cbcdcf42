/**
 * Seeing the frames a y-websocket provider exchanges, through its supported seam: the
 * `WebSocketPolyfill` option, a class the provider instantiates instead of the global
 * `WebSocket`. A subclass sees every frame the provider sends (`send`) and every frame it would
 * receive (the `onmessage` handler the provider assigns), so the editor reads acknowledgements
 * and permission-denied messages, and sends an oversized update in parts, without touching the
 * provider's internals.
 */

/** Someone who watches one provider's sockets. */
export interface FrameObserver {
  /** A frame is about to be sent on an open socket: return what to send instead, in order (usually `[data]`). */
  sending(data: OutgoingData): readonly OutgoingData[]
  /** A frame arrived; return `true` to take it, so that the provider never sees it. */
  receiving(bytes: Uint8Array): boolean
}

/** What a WebSocket's `send` takes. */
export type OutgoingData = string | ArrayBufferLike | Blob | ArrayBufferView

type MessageHandler = ((this: WebSocket, event: MessageEvent) => unknown) | null

/**
 * A `WebSocket` class for the provider's `WebSocketPolyfill` option that reports to `observer`.
 * `Base` is the class to extend: the browser's `WebSocket`, or the `ws` package in Node.
 */
export function observedWebSocket(Base: typeof WebSocket, observer: FrameObserver): typeof WebSocket {
  return class ObservedWebSocket extends Base {
    override send(data: OutgoingData): void {
      for (const frame of observer.sending(data)) super.send(frame)
    }

    override get onmessage(): MessageHandler {
      return super.onmessage
    }

    // The provider assigns its handler once per socket (and null when it lets go of the socket).
    override set onmessage(handler: MessageHandler) {
      super.onmessage =
        handler === null
          ? null
          : function (this: WebSocket, event: MessageEvent) {
              // The provider asks for ArrayBuffers (binaryType 'arraybuffer'); text frames are not its.
              if (typeof event.data !== 'string' && observer.receiving(new Uint8Array(event.data))) return
              return handler.call(this, event)
            }
    }
  }
}
