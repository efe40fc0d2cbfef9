// livecard's NFC plugin, iOS side (issue 13). One NFCTagReaderSession per scan (ISO 14443
// and 15693: NTAG/MIFARE Ultralight, ISO 7816, ISO 15693); the tag is read as NDEF, its
// capacity comes from queryNDEFStatus. For a write the session and tag are held after the
// scan answers; `write` writes, reads back and answers what the tag holds now.
//
// Answer (bytes unsigned, as [UInt8]):
//   {"id":[…],"kind":["MiFare"],"ndef":true,"maxSize":496,"writable":true,"records":[…]}
// Rejections carry the same codes as Android: unavailable, cancelled, superseded, tag_lost,
// read_only, too_small, not_ndef, no_tag, write_failed, timeout.

import CoreNFC
import SwiftRs
import Tauri
import UIKit
import WebKit

struct ScanArgs: Decodable {
  var keepForWrite: Bool?
  var message: String?
}

struct RecordArg: Decodable {
  var tnf: UInt8
  var kind: [UInt8]?
  var id: [UInt8]?
  var payload: [UInt8]?
}

struct WriteArgs: Decodable {
  let records: [RecordArg]
  var message: String?
}

class LivecardNfcPlugin: Plugin, NFCTagReaderSessionDelegate {
  private var session: NFCTagReaderSession?
  private var pending: Invoke?
  private var keepForWrite = false
  private var heldTag: NFCNDEFTag?
  private var heldCapacity = 0

  @objc func status(_ invoke: Invoke) {
    let ok = NFCTagReaderSession.readingAvailable
    invoke.resolve(["available": ok, "enabled": ok])
  }

  @objc func scan(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(ScanArgs.self)
    guard NFCTagReaderSession.readingAvailable else {
      invoke.reject("This iPhone cannot read NFC tags", code: "unavailable")
      return
    }
    if let previous = pending {
      previous.reject("A new NFC scan started; this one was cancelled", code: "superseded")
    }
    session?.invalidate()
    pending = invoke
    keepForWrite = args.keepForWrite ?? false
    heldTag = nil
    let s = NFCTagReaderSession(pollingOption: [.iso14443, .iso15693], delegate: self, queue: nil)
    s?.alertMessage = args.message ?? "Hold the tag near the top of the iPhone"
    session = s
    s?.begin()
  }

  @objc func write(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(WriteArgs.self)
    guard let session = session, let tag = heldTag else {
      invoke.reject("No tag is held: hold the tag to the phone first", code: "no_tag")
      return
    }
    let payloads = args.records.map { r in
      NFCNDEFPayload(
        format: NFCTypeNameFormat(rawValue: r.tnf) ?? .unknown,
        type: Data(r.kind ?? []),
        identifier: Data(r.id ?? []),
        payload: Data(r.payload ?? []))
    }
    let message = NFCNDEFMessage(records: payloads)
    if message.length > heldCapacity {
      finish(session, error: "The tag is too small: \(message.length) bytes needed, \(heldCapacity) available")
      invoke.reject("The tag is too small", code: "too_small")
      return
    }
    tag.writeNDEF(message) { error in
      if let error = error {
        self.finish(session, error: "Writing failed")
        invoke.reject("Writing the tag failed: \(error.localizedDescription)", code: "write_failed")
        return
      }
      // Read back what the tag holds now.
      self.answer(for: tag, kind: [], id: []) { answer, code, why in
        if let answer = answer {
          session.alertMessage = args.message ?? "Done"
          self.finish(session, error: nil)
          invoke.resolve(answer)
        } else {
          self.finish(session, error: why)
          invoke.reject(why ?? "The tag could not be read back", code: code ?? "tag_lost")
        }
      }
    }
  }

  @objc func cancel(_ invoke: Invoke) {
    let p = pending
    pending = nil
    heldTag = nil
    session?.invalidate()
    session = nil
    p?.reject("Cancelled", code: "cancelled")
    invoke.resolve()
  }

  // Launching by a tag goes through universal links on iOS (the deep-link plugin).
  @objc func takeLaunchTag(_ invoke: Invoke) {
    invoke.resolve(["answer": NSNull()])
  }

  @objc func setEventHandler(_ invoke: Invoke) {
    invoke.resolve()
  }

  // MARK: - session

  private func finish(_ s: NFCTagReaderSession, error: String?) {
    if let error = error {
      s.invalidate(errorMessage: error)
    } else {
      s.invalidate()
    }
    if session === s {
      session = nil
      heldTag = nil
    }
  }

  func tagReaderSessionDidBecomeActive(_ session: NFCTagReaderSession) {}

  func tagReaderSession(_ session: NFCTagReaderSession, didInvalidateWithError error: Error) {
    guard session === self.session || self.session == nil else { return }
    self.session = nil
    heldTag = nil
    if let p = pending {
      pending = nil
      let code = (error as? NFCReaderError)?.code
      if code == .readerSessionInvalidationErrorUserCanceled {
        p.reject("Cancelled", code: "cancelled")
      } else if code == .readerSessionInvalidationErrorSessionTimeout {
        p.reject("No tag was found in time", code: "timeout")
      } else {
        p.reject("NFC stopped: \(error.localizedDescription)", code: "tag_lost")
      }
    }
  }

  func tagReaderSession(_ session: NFCTagReaderSession, didDetect tags: [NFCTag]) {
    guard let first = tags.first else { return }
    session.connect(to: first) { error in
      if let error = error {
        session.restartPolling()
        Logger.error("livecard-nfc: connect failed: \(error)")
        return
      }
      let ndefTag: NFCNDEFTag
      var kind: [String] = []
      var id: [UInt8] = []
      switch first {
      case let .miFare(t):
        ndefTag = t
        kind = ["MiFare"]
        id = [UInt8](t.identifier)
      case let .iso7816(t):
        ndefTag = t
        kind = ["ISO7816Compatible"]
        id = [UInt8](t.identifier)
      case let .iso15693(t):
        ndefTag = t
        kind = ["ISO15693"]
        id = [UInt8](t.identifier)
      case let .feliCa(t):
        ndefTag = t
        kind = ["FeliCa"]
      @unknown default:
        session.invalidate(errorMessage: "Unsupported tag")
        return
      }
      self.answer(for: ndefTag, kind: kind, id: id) { answer, code, why in
        guard let p = self.pending else { return }
        self.pending = nil
        if let answer = answer {
          if self.keepForWrite {
            self.heldTag = ndefTag
          } else {
            self.finish(session, error: nil)
          }
          p.resolve(answer)
        } else {
          self.finish(session, error: why)
          p.reject(why ?? "The tag could not be read", code: code ?? "tag_lost")
        }
      }
    }
  }

  /// The answer for a connected tag: status, capacity and the NDEF records.
  private func answer(
    for tag: NFCNDEFTag, kind: [String], id: [UInt8],
    done: @escaping (JsonObject?, String?, String?) -> Void
  ) {
    tag.queryNDEFStatus { status, capacity, error in
      if let error = error {
        done(nil, "tag_lost", "The tag was moved away too soon: \(error.localizedDescription)")
        return
      }
      self.heldCapacity = capacity
      var answer: JsonObject = [
        "kind": kind, "id": id, "maxSize": capacity,
        "ndef": status != .notSupported, "writable": status == .readWrite,
      ]
      if status == .notSupported {
        answer["records"] = [JsonObject]()
        done(answer, nil, nil)
        return
      }
      tag.readNDEF { message, error in
        // An empty NDEF tag answers "zero length message": no records, not an error.
        if let error = error as NSError?,
          error.code != NFCReaderError.ndefReaderSessionErrorZeroLengthMessage.rawValue
        {
          done(nil, "tag_lost", "The tag could not be read: \(error.localizedDescription)")
          return
        }
        var records: [JsonObject] = []
        for r in message?.records ?? [] {
          records.append([
            "tnf": r.typeNameFormat.rawValue,
            "kind": [UInt8](r.type),
            "id": [UInt8](r.identifier),
            "payload": [UInt8](r.payload),
          ])
        }
        answer["records"] = records
        done(answer, nil, nil)
      }
    }
  }
}

@_cdecl("init_plugin_livecard_nfc")
func initPlugin() -> Plugin {
  return LivecardNfcPlugin()
}
