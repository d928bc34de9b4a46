package dev.crmcore

import java.io.File
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * The hostile input catalogue (tests/hostile/catalogue.json, format in docs/errors.md) run from
 * Kotlin: every input given to `executeJson` on one engine built from the catalogue's setup
 * throws the `CrmException` subclass of the expected error kind and changes neither the state
 * nor the event log. Maven passes the file's path as the system property
 * `crm.hostile.catalogue`.
 */
class HostileTest {
    /** A JSON number, kept as its text so that it is rendered exactly as written. */
    private data class Num(val text: String)

    /** A small JSON reader that keeps key order and number text (the catalogue's own reader). */
    private class Reader(private val s: String) {
        private var i = 0

        fun document(): Any? {
            val v = value()
            space()
            require(i == s.length) { "trailing text at $i" }
            return v
        }

        private fun space() {
            while (i < s.length && s[i] in " \t\r\n") i++
        }

        private fun value(): Any? {
            space()
            require(i < s.length) { "unexpected end" }
            return when (s[i]) {
                '{' -> obj()
                '[' -> arr()
                '"' -> str()
                't' -> word("true", true)
                'f' -> word("false", false)
                'n' -> word("null", null)
                else -> num()
            }
        }

        private fun word(w: String, v: Any?): Any? {
            require(s.startsWith(w, i)) { "bad literal at $i" }
            i += w.length
            return v
        }

        private fun num(): Num {
            val start = i
            while (i < s.length && s[i] in "+-0123456789.eE") i++
            require(i > start) { "bad value at $start" }
            return Num(s.substring(start, i))
        }

        private fun obj(): Map<String, Any?> {
            val m = LinkedHashMap<String, Any?>()
            i++
            space()
            if (s[i] == '}') { i++; return m }
            while (true) {
                space()
                val k = str()
                space()
                require(s[i] == ':') { "expected : at $i" }
                i++
                m[k] = value()
                space()
                when (s[i++]) {
                    ',' -> continue
                    '}' -> return m
                    else -> error("expected , or } at ${i - 1}")
                }
            }
        }

        private fun arr(): List<Any?> {
            val l = ArrayList<Any?>()
            i++
            space()
            if (s[i] == ']') { i++; return l }
            while (true) {
                l.add(value())
                space()
                when (s[i++]) {
                    ',' -> continue
                    ']' -> return l
                    else -> error("expected , or ] at ${i - 1}")
                }
            }
        }

        private fun str(): String {
            require(s[i] == '"') { "expected a string at $i" }
            i++
            val b = StringBuilder()
            while (true) {
                val c = s[i++]
                when (c) {
                    '"' -> return b.toString()
                    '\\' -> when (val e = s[i++]) {
                        'n' -> b.append('\n')
                        't' -> b.append('\t')
                        'r' -> b.append('\r')
                        'b' -> b.append('\b')
                        'f' -> b.append('\u000c')
                        'u' -> { b.append(s.substring(i, i + 4).toInt(16).toChar()); i += 4 }
                        else -> b.append(e)
                    }
                    else -> b.append(c)
                }
            }
        }
    }

    private fun repeat(spec: Map<*, *>): String =
        (spec["\$repeat"] as String).repeat((spec["times"] as Num).text.toInt())

    private fun substitute(v: Any?, n: Int): Any? = when (v) {
        is String -> v.replace("{i}", n.toString())
        is List<*> -> v.map { substitute(it, n) }
        is Map<*, *> -> v.entries.associateTo(LinkedHashMap()) { (k, x) -> k to substitute(x, n) }
        else -> v
    }

    /** Replaces the generators (`$repeat`, `$array`) inside a JSON value. */
    private fun expand(v: Any?): Any? = when {
        v is Map<*, *> && v.containsKey("\$repeat") -> repeat(v)
        v is Map<*, *> && v.containsKey("\$array") ->
            (0 until (v["times"] as Num).text.toInt()).map { expand(substitute(v["\$array"], it)) }
        v is Map<*, *> -> {
            assertTrue(v.keys.none { (it as String).startsWith("$") }, "unknown generator in $v")
            v.entries.associateTo(LinkedHashMap()) { (k, x) -> k to expand(x) }
        }
        v is List<*> -> v.map { expand(it) }
        else -> v
    }

    private fun write(v: Any?, out: StringBuilder) {
        when (v) {
            null -> out.append("null")
            is Boolean -> out.append(v)
            is Num -> out.append(v.text)
            is String -> {
                out.append('"')
                for ((k, c) in v.withIndex()) {
                    val lone = (c.isHighSurrogate() && !(k + 1 < v.length && v[k + 1].isLowSurrogate())) ||
                        (c.isLowSurrogate() && !(k > 0 && v[k - 1].isHighSurrogate()))
                    when {
                        c == '"' -> out.append("\\\"")
                        c == '\\' -> out.append("\\\\")
                        c < ' ' || lone -> out.append("\\u%04x".format(c.code))
                        else -> out.append(c)
                    }
                }
                out.append('"')
            }
            is List<*> -> {
                out.append('[')
                v.forEachIndexed { k, x -> if (k > 0) out.append(','); write(x, out) }
                out.append(']')
            }
            is Map<*, *> -> {
                out.append('{')
                var first = true
                for ((k, x) in v) {
                    if (!first) out.append(',')
                    first = false
                    write(k, out)
                    out.append(':')
                    write(x, out)
                }
                out.append('}')
            }
            else -> error("not a JSON value: $v")
        }
    }

    /** The text an input stands for. */
    private fun render(input: Any?): String {
        if (input is Map<*, *> && input.containsKey("\$text")) {
            return (input["\$text"] as List<*>).joinToString("") { p ->
                when (p) {
                    is String -> p
                    is Map<*, *> -> repeat(p)
                    else -> error("not a text part: $p")
                }
            }
        }
        return StringBuilder().also { write(expand(input), it) }.toString()
    }

    /** The error kind tag (docs/errors.md) of a Kotlin exception, and the core's message. */
    private fun kind(e: CrmException): Pair<String, String> = when (e) {
        is CrmException.Validation -> "validation" to e.detail
        is CrmException.NotFound -> "not_found" to e.detail
        is CrmException.AlreadyExists -> "already_exists" to e.detail
        is CrmException.Conflict -> "conflict" to e.detail
        is CrmException.InvalidTransition -> "invalid_transition" to e.detail
        is CrmException.CurrencyMismatch -> "currency_mismatch" to e.detail
        is CrmException.ConsentRequired -> "consent_required" to e.detail
        is CrmException.NotEntitled -> "not_entitled" to e.detail
        is CrmException.InvalidDefinition -> "invalid_definition" to e.detail
        is CrmException.Json -> "json" to e.detail
        is CrmException.Storage -> "storage" to e.detail
        is CrmException.Overflow -> "overflow" to e.detail
        is CrmException.Internal -> "internal (a panic)" to e.reason
    }

    @Test
    fun `every hostile input is the expected typed exception and changes nothing`() {
        val path = System.getProperty("crm.hostile.catalogue")
            ?: error("the system property crm.hostile.catalogue (set in pom.xml) is missing")
        @Suppress("UNCHECKED_CAST")
        val catalogue = Reader(File(path).readText()).document() as Map<String, Any?>
        assertEquals("crm-core hostile input catalogue, version 1", catalogue["format"])
        val cases = catalogue["cases"] as List<*>
        assertTrue(cases.size >= 50, "${cases.size} cases")
        Crm().use { crm ->
            for (command in catalogue["setup"] as List<*>) crm.executeJson(render(command))
            val state = crm.stateJson()
            val events = crm.eventsJson()
            val failures = mutableListOf<String>()
            val seen = mutableMapOf<String, Int>()
            for (case in cases) {
                case as Map<*, *>
                val name = case["name"] as String
                val expect = case["expect"] as String
                try {
                    val out = crm.executeJson(render(case["input"]))
                    failures.add("$name: succeeded: ${out.take(200)}")
                } catch (e: CrmException) {
                    val (got, detail) = kind(e)
                    seen[got] = (seen[got] ?: 0) + 1
                    if (got != expect) failures.add("$name: expected $expect, got $got: ${detail.take(300)}")
                    if (detail.toByteArray().size > 2_000) {
                        failures.add("$name: the message is ${detail.toByteArray().size} bytes long")
                    }
                }
                if (crm.stateJson() != state) { failures.add("$name: the state changed"); break }
                if (crm.eventsJson() != events) { failures.add("$name: the event log changed"); break }
            }
            assertTrue(failures.isEmpty(), "${failures.size} of ${cases.size} cases failed:\n" + failures.joinToString("\n"))
            println("hostile catalogue from Kotlin: ${cases.size} cases, by kind $seen")
        }
    }
}
