import { CloseCode, type CloseCodeValue } from './close-codes.js'

/** A frame that breaks the wire format; carries the close code the connection ends with. */
export class ProtocolError extends Error {
  readonly closeCode: CloseCodeValue
  constructor(message: string, closeCode: CloseCodeValue = CloseCode.MalformedMessage) {
    super(message)
    this.name = 'ProtocolError'
    this.closeCode = closeCode
  }
}
