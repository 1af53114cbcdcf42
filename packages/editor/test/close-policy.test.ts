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

  it('keeps retrying after temporary closes, even those in the 44xx range', () => {
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
