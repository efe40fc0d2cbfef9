// livecard's NFC plugin, Android side (issue 13). Kept thin: it reads and writes NDEF and
// reports the tag; livecard_format::nfc_answer (Rust) reads the answers.
//
// Answer of scan/write/takeLaunchTag (bytes are UNSIGNED, 0..255 — masked with `and 0xff`):
//   {"id":[…],"kind":["NfcA","MifareUltralight","Ndef"],"ndef":true,"maxSize":496,
//    "writable":true,"chip":"ntag215","ndefType":"org.nfcforum.ndef.type2",
//    "records":[{"tnf":1,"kind":[…],"id":[…],"payload":[…]}]}
// Rejections carry a code: unavailable, disabled, cancelled, superseded, tag_lost, read_only,
// too_small, not_ndef, no_tag, bad_records, write_failed.

package app.livecard.nfc

import android.app.Activity
import android.content.Intent
import android.nfc.FormatException
import android.nfc.NdefMessage
import android.nfc.NdefRecord
import android.nfc.NfcAdapter
import android.nfc.Tag
import android.nfc.TagLostException
import android.nfc.tech.MifareUltralight
import android.nfc.tech.Ndef
import android.nfc.tech.NdefFormatable
import android.nfc.tech.NfcA
import android.os.Build
import android.os.Bundle
import android.os.Parcelable
import android.webkit.WebView
import app.tauri.Logger
import app.tauri.annotation.Command
import app.tauri.annotation.InvokeArg
import app.tauri.annotation.TauriPlugin
import app.tauri.plugin.Channel
import app.tauri.plugin.Invoke
import app.tauri.plugin.JSObject
import app.tauri.plugin.Plugin
import org.json.JSONArray
import kotlin.concurrent.thread

@InvokeArg
class ScanArgs {
    var keepForWrite: Boolean = false
    var message: String? = null
}

@InvokeArg
class RecordArg {
    var tnf: Int = 0
    var kind: IntArray = IntArray(0)
    var id: IntArray = IntArray(0)
    var payload: IntArray = IntArray(0)
}

@InvokeArg
class WriteArgs {
    var records: Array<RecordArg> = arrayOf()
    var message: String? = null
}

@InvokeArg
class EventHandlerArgs {
    lateinit var handler: Channel
}

private class NfcFailure(val code: String, message: String) : Exception(message)

private const val CONSUMED = "app.livecard.nfc.consumed"

/** Bytes as a JSON list of unsigned numbers (Kotlin bytes are signed: mask them). */
private fun unsigned(bytes: ByteArray?): JSONArray {
    val out = JSONArray()
    if (bytes != null) {
        for (b in bytes) {
            out.put(b.toInt() and 0xff)
        }
    }
    return out
}

private fun toBytes(values: IntArray): ByteArray = ByteArray(values.size) { i -> values[i].toByte() }

@TauriPlugin
class LivecardNfcPlugin(private val activity: Activity) : Plugin(activity), NfcAdapter.ReaderCallback {
    private val lock = Any()
    private var adapter: NfcAdapter? = null

    // The scan waiting for a tag (one at a time), and whether to hold the tag for a write.
    private var pending: Invoke? = null
    private var keepForWrite = false
    private var heldTag: Tag? = null
    private var readerOn = false

    // A tag that launched or reached the app through NDEF_DISCOVERED, until Rust takes it.
    private var launchAnswer: JSObject? = null
    private var handler: Channel? = null

    override fun load(webView: WebView) {
        super.load(webView)
        adapter = NfcAdapter.getDefaultAdapter(activity.applicationContext)
        handleIntent(activity.intent)
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        handleIntent(intent)
    }

    override fun onPause() {
        // Reader mode only works in the foreground; a pending scan resumes with the app.
        stopReader()
        super.onPause()
    }

    override fun onResume() {
        super.onResume()
        val waiting = synchronized(lock) { pending != null }
        if (waiting) {
            startReader()
        }
    }

    // ---------------------------------------------------------------- commands

    @Command
    fun status(invoke: Invoke) {
        val ret = JSObject()
        ret.put("available", adapter != null)
        ret.put("enabled", adapter?.isEnabled == true)
        invoke.resolve(ret)
    }

    @Command
    fun scan(invoke: Invoke) {
        val args = invoke.parseArgs(ScanArgs::class.java)
        val a = adapter
        if (a == null) {
            invoke.reject("This phone has no NFC", "unavailable")
            return
        }
        if (!a.isEnabled) {
            invoke.reject("NFC is turned off in the phone's settings", "disabled")
            return
        }
        val previous = synchronized(lock) {
            val p = pending
            pending = invoke
            keepForWrite = args.keepForWrite
            heldTag = null
            p
        }
        previous?.reject("A new NFC scan started; this one was cancelled", "superseded")
        startReader()
    }

    @Command
    fun write(invoke: Invoke) {
        val args = invoke.parseArgs(WriteArgs::class.java)
        val tag = synchronized(lock) { heldTag }
        if (tag == null) {
            invoke.reject("No tag is held: hold the tag to the phone first", "no_tag")
            return
        }
        val message = try {
            NdefMessage(args.records.map { r ->
                NdefRecord(r.tnf.toShort(), toBytes(r.kind), toBytes(r.id), toBytes(r.payload))
            }.toTypedArray())
        } catch (e: IllegalArgumentException) {
            release()
            invoke.reject("These records cannot be written: ${e.message}", "bad_records")
            return
        }
        // Tag IO blocks: never on the main thread.
        thread {
            try {
                writeTag(tag, message)
                invoke.resolve(readTag(tag))
            } catch (e: NfcFailure) {
                invoke.reject(e.message, e.code)
            } catch (e: TagLostException) {
                invoke.reject("The tag was moved away before writing finished", "tag_lost")
            } catch (e: Exception) {
                invoke.reject("Writing the tag failed: ${e.message}", "write_failed")
            } finally {
                release()
            }
        }
    }

    @Command
    fun cancel(invoke: Invoke) {
        val p = synchronized(lock) {
            val p = pending
            pending = null
            heldTag = null
            p
        }
        stopReader()
        p?.reject("Cancelled", "cancelled")
        invoke.resolve()
    }

    @Command
    fun takeLaunchTag(invoke: Invoke) {
        val answer = synchronized(lock) {
            val a = launchAnswer
            launchAnswer = null
            a
        }
        val ret = JSObject()
        ret.put("answer", answer)
        invoke.resolve(ret)
    }

    @Command
    fun setEventHandler(invoke: Invoke) {
        val args = invoke.parseArgs(EventHandlerArgs::class.java)
        val waiting = synchronized(lock) {
            handler = args.handler
            launchAnswer != null
        }
        invoke.resolve()
        if (waiting) {
            args.handler.send(JSObject().put("tag", true))
        }
    }

    // ---------------------------------------------------------------- reader mode

    override fun onTagDiscovered(tag: Tag) {
        val (invoke, keep) = synchronized(lock) {
            val p = pending
            pending = null
            if (p != null && keepForWrite) {
                heldTag = tag
            }
            Pair(p, keepForWrite)
        }
        if (invoke == null) {
            return
        }
        try {
            val answer = readTag(tag)
            if (!keep) {
                stopReader()
            }
            invoke.resolve(answer)
        } catch (e: Exception) {
            release()
            invoke.reject("The tag was moved away too soon: ${e.message}", "tag_lost")
        }
    }

    private fun startReader() {
        val a = adapter ?: return
        activity.runOnUiThread {
            val flags = NfcAdapter.FLAG_READER_NFC_A or
                NfcAdapter.FLAG_READER_NFC_B or
                NfcAdapter.FLAG_READER_NFC_F or
                NfcAdapter.FLAG_READER_NFC_V
            val extras = Bundle()
            extras.putInt(NfcAdapter.EXTRA_READER_PRESENCE_CHECK_DELAY, 250)
            try {
                a.enableReaderMode(activity, this, flags, extras)
                synchronized(lock) { readerOn = true }
            } catch (e: Exception) {
                Logger.error("livecard-nfc: enableReaderMode failed: ${e.message}")
            }
        }
    }

    private fun stopReader() {
        val a = adapter ?: return
        activity.runOnUiThread {
            val on = synchronized(lock) {
                val was = readerOn
                readerOn = false
                was
            }
            if (on) {
                try {
                    a.disableReaderMode(activity)
                } catch (e: Exception) {
                    Logger.error("livecard-nfc: disableReaderMode failed: ${e.message}")
                }
            }
        }
    }

    private fun release() {
        synchronized(lock) { heldTag = null }
        stopReader()
    }

    // ---------------------------------------------------------------- tag IO

    /** NTAG213/215/216 by the GET_VERSION command (NXP NTAG21x datasheet §10.1: byte 1 vendor
     *  0x04 NXP, byte 2 type 0x04 NTAG, byte 6 storage size 0x0F/0x11/0x13). */
    private fun chipOf(tag: Tag): String? {
        if (MifareUltralight.get(tag) == null) {
            return null
        }
        val nfcA = NfcA.get(tag) ?: return null
        return try {
            nfcA.connect()
            val v = nfcA.transceive(byteArrayOf(0x60))
            if (v.size >= 8 && v[1].toInt() == 0x04 && v[2].toInt() == 0x04) {
                when (v[6].toInt() and 0xff) {
                    0x0F -> "ntag213"
                    0x11 -> "ntag215"
                    0x13 -> "ntag216"
                    else -> null
                }
            } else {
                null
            }
        } catch (e: Exception) {
            null
        } finally {
            try {
                nfcA.close()
            } catch (e: Exception) {
            }
        }
    }

    private fun baseAnswer(tag: Tag?): JSObject {
        val answer = JSObject()
        if (tag != null) {
            answer.put("id", unsigned(tag.id))
            val kinds = JSONArray()
            for (t in tag.techList) {
                kinds.put(t.removePrefix("android.nfc.tech."))
            }
            answer.put("kind", kinds)
        }
        return answer
    }

    private fun recordsJson(message: NdefMessage?): JSONArray {
        val out = JSONArray()
        for (r in message?.records ?: arrayOf()) {
            val json = JSObject()
            json.put("tnf", r.tnf.toInt())
            json.put("kind", unsigned(r.type))
            json.put("id", unsigned(r.id))
            json.put("payload", unsigned(r.payload))
            out.put(json)
        }
        return out
    }

    /** What the tag holds now, with its type and size. */
    private fun readTag(tag: Tag): JSObject {
        val answer = baseAnswer(tag)
        chipOf(tag)?.let { answer.put("chip", it) }
        val ndef = Ndef.get(tag)
        if (ndef == null) {
            answer.put("ndef", false)
            answer.put("formatable", NdefFormatable.get(tag) != null)
            answer.put("records", JSONArray())
            return answer
        }
        ndef.connect()
        try {
            answer.put("ndef", true)
            answer.put("maxSize", ndef.maxSize)
            answer.put("writable", ndef.isWritable)
            answer.put("ndefType", ndef.type)
            // Reads the tag now (not the message cached at discovery): a write's read-back.
            val message = try {
                ndef.ndefMessage
            } catch (e: FormatException) {
                null
            }
            answer.put("records", recordsJson(message))
        } finally {
            try {
                ndef.close()
            } catch (e: Exception) {
            }
        }
        return answer
    }

    private fun writeTag(tag: Tag, message: NdefMessage) {
        val ndef = Ndef.get(tag)
        if (ndef == null) {
            val blank = NdefFormatable.get(tag)
                ?: throw NfcFailure("not_ndef", "This tag cannot hold NDEF data (not an NDEF tag)")
            blank.connect()
            try {
                blank.format(message)
            } finally {
                try {
                    blank.close()
                } catch (e: Exception) {
                }
            }
            return
        }
        ndef.connect()
        try {
            if (!ndef.isWritable) {
                throw NfcFailure("read_only", "The tag is locked (read-only)")
            }
            if (message.byteArrayLength > ndef.maxSize) {
                throw NfcFailure(
                    "too_small",
                    "The tag is too small: ${message.byteArrayLength} bytes needed, ${ndef.maxSize} available"
                )
            }
            ndef.writeNdefMessage(message)
        } finally {
            try {
                ndef.close()
            } catch (e: Exception) {
            }
        }
    }

    // ---------------------------------------------------------------- launching intent

    /** NDEF_DISCOVERED (the app's manifest filter for our link host): keep the message until
     *  Rust takes it, and tell Rust. Marked so a re-created activity does not add it twice. */
    private fun handleIntent(intent: Intent?) {
        if (intent == null || intent.action != NfcAdapter.ACTION_NDEF_DISCOVERED) {
            return
        }
        if (intent.getBooleanExtra(CONSUMED, false)) {
            return
        }
        intent.putExtra(CONSUMED, true)
        val raw: Array<Parcelable>? = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
            intent.getParcelableArrayExtra(NfcAdapter.EXTRA_NDEF_MESSAGES, Parcelable::class.java)
        } else {
            @Suppress("DEPRECATION")
            intent.getParcelableArrayExtra(NfcAdapter.EXTRA_NDEF_MESSAGES)
        }
        val tag: Tag? = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
            intent.getParcelableExtra(NfcAdapter.EXTRA_TAG, Tag::class.java)
        } else {
            @Suppress("DEPRECATION")
            intent.getParcelableExtra(NfcAdapter.EXTRA_TAG)
        }
        val message = raw?.firstOrNull() as? NdefMessage ?: return
        val answer = baseAnswer(tag)
        answer.put("source", "intent")
        answer.put("records", recordsJson(message))
        val h = synchronized(lock) {
            launchAnswer = answer
            handler
        }
        h?.send(JSObject().put("tag", true))
    }
}
