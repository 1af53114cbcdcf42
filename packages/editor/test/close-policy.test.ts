import { CloseCode } from '@quire/protocol'
import { describe, expect, it } from 'vitest'
import { closeReason, closeVerdict } from '../src/close-policy.js'

describe('close policy (PROTOCOL.md C1)', () => {
  it('stops on a refused token, reporting unauthorized or forbidden', () => {
    expect(closeVerdict(CloseCode.Unauthorized)).toEqual({ action: 'stop', connection: 'unauthorized' })
    expect(closeVerdict(CloseCode.Forbidden)).toEqual({ action: 'stop', connection: 'forbidden' })
  })

  it('stops with an error where a reconnect would be refused the same way', () => {
    for (const code of [
      CloseCode.MalformedMessage,
      CloseCode.InvalidUpdate,
      CloseCode.DocumentDamaged,
      CloseCode.AwarenessTooLarge,
      CloseCode.MessageTooBig,
      CloseCode.PolicyViolation
    ]) {
      expect(closeVerdict(code), `code ${code}`).toEqual({ action: 'stop', connection: 'error' })
    }
  })

  it('C2: keeps retrying after every transient close, none of which is in the 44xx band', () => {
    for (const code of [
      CloseCode.RateLimited,
      CloseCode.TryAgainLater,
      CloseCode.LoadFailed,
      CloseCode.StorageFailure,
      CloseCode.GoingAway,
      CloseCode.InternalError,
      CloseCode.IdleTimeout
    ]) {
      expect(closeVerdict(code), `code ${code}`).toEqual({ action: 'retry' })
      expect(code >= 4400 && code < 4500, `code ${code} outside 4400-4499, where y-websocket 3.x gives up`).toBe(false)
    }
    expect(CloseCode.IdleTimeout).toBe(4508)
    expect(CloseCode.RateLimited).toBe(4529)
  })

  it('C2: stops on every code in the 44xx band, as y-websocket 3.x does', () => {
    for (const code of Object.values(CloseCode).filter((value) => value >= 4400 && value < 4500)) {
      expect(closeVerdict(code).action, `code ${code}`).toBe('stop')
    }
  })

  it('retries after a dropped connection and unknown codes, except unknown 44xx ones', () => {
    // 1006: no close frame, which is also how a browser sees a refused upgrade.
    for (const code of [1000, 1002, 1005, 1006, 1007, 1012, 4000, 4399, 4502, 4999]) {
      expect(closeVerdict(code), `code ${code}`).toEqual({ action: 'retry' })
    }
    for (const code of [4402, 4404, 4499]) {
      expect(closeVerdict(code), `code ${code}`).toEqual({ action: 'stop', connection: 'error' })
    }
  })

  it("keeps the server's reason, and has words when there is none", () => {
    expect(closeReason(CloseCode.InvalidUpdate, 'update could not be applied')).toBe('update could not be applied')
    expect(closeReason(CloseCode.DocumentDamaged, '')).toMatch(/damaged/)
    expect(closeReason(4499, ' ')).toBe('the server closed the connection (code 4499)')
  })
})
