import { writeFrame } from '@quire/protocol'
import { describe, expect, it } from 'vitest'
import { AckTracker, frameKind } from '../src/acknowledgements.js'

describe('frameKind', () => {
  it('tells update-bearing frames from the rest', () => {
    const bytes = new Uint8Array([1, 2, 3])
    expect(frameKind(writeFrame({ type: 'sync-step2', update: bytes }))).toBe('step2')
    expect(frameKind(writeFrame({ type: 'sync-update', update: bytes }))).toBe('update')
    expect(frameKind(writeFrame({ type: 'sync-step1', stateVector: bytes }))).toBe('other')
    expect(frameKind(writeFrame({ type: 'awareness', update: bytes }).buffer)).toBe('other')
    expect(frameKind(new Uint8Array([255]))).toBe('other')
  })
})

describe('AckTracker', () => {
  it('is saved with nothing to save', () => {
    expect(new AckTracker().saved).toBe(true)
  })

  it('is saved once the last update-bearing frame is acknowledged', () => {
    const t = new AckTracker()
    t.frameSent('other') // 1: step 1
    t.frameSent('other') // 2: awareness
    t.frameSent('step2') // 3
    expect(t.saved).toBe(false)
    t.acknowledged(3)
    expect(t.saved).toBe(true)
    const index = t.frameSent('update')
    t.localChange()
    t.settle()
    t.frameSent('other')
    expect(t.saved).toBe(false)
    t.acknowledged(index)
    expect(t.saved).toBe(true)
  })

  it('keeps offline changes unsaved until a step 2 on a new socket is acknowledged', () => {
    const t = new AckTracker()
    t.localChange()
    expect(t.saved).toBe(false)
    t.settle() // no frame carried it
    expect(t.saved).toBe(false)
    t.frameSent('other')
    t.frameSent('update') // an edit typed before the server's step 1 arrived
    t.acknowledged(2)
    expect(t.saved).toBe(false)
    t.frameSent('step2')
    t.acknowledged(3)
    expect(t.saved).toBe(true)
  })

  it('treats frames unacknowledged when the socket closed as unsaved', () => {
    const t = new AckTracker()
    t.frameSent('update')
    t.socketClosed()
    expect(t.saved).toBe(false)
    t.frameSent('other')
    t.frameSent('step2')
    expect(t.saved).toBe(false)
    t.acknowledged(2)
    expect(t.saved).toBe(true)
  })

  it('sees a change as carried whether the frame went out before or after it was reported', () => {
    for (const sentFirst of [true, false]) {
      const t = new AckTracker()
      if (sentFirst) t.frameSent('update')
      t.localChange()
      if (!sentFirst) t.frameSent('update')
      t.settle()
      t.acknowledged(1)
      expect(t.saved).toBe(true)
    }
  })

  it('is not saved while a local change is unsettled, even with nothing awaited', () => {
    const t = new AckTracker()
    t.localChange()
    expect(t.saved).toBe(false)
  })

  it('does not count a frame from before a close as carrying a change made after it', () => {
    const t = new AckTracker()
    t.acknowledged(t.frameSent('step2'))
    t.socketClosed()
    t.localChange()
    t.settle()
    expect(t.saved).toBe(false)
  })

  it('keeps acknowledged work saved across a reconnect', () => {
    const t = new AckTracker()
    t.acknowledged(t.frameSent('update'))
    t.socketClosed()
    expect(t.saved).toBe(true)
  })
})
