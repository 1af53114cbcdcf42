import type { TransportHandlers } from '../transport/ws.js'
import type { Gate } from './admission.js'
import { Session, type SessionContext } from './session.js'

/** What the transport calls for a server: admission by `gate`, then one {@link Session} per connection. */
export function sessionHandlers(gate: Gate, context: SessionContext): TransportHandlers {
  let warnedAboutProxy = false
  return {
    admit: (request) => {
      const peer = request.socket.remoteAddress
      if (!warnedAboutProxy && gate.forwardedByStranger(peer, request.headers)) {
        warnedAboutProxy = true
        context.log.warn(
          { peer },
          'upgrades carry X-Forwarded-For from an address not in --trusted-proxies: if it is your proxy, list it, or every client behind it shares one address for the per-address limits'
        )
      }
      return gate.admitUpgrade({ url: request.url ?? '', peer, headers: request.headers })
    },
    abandoned: (admitted) => admitted.place.release(),
    connect: (peer, admitted, reading) => new Session(peer, admitted, context, reading)
  }
}
