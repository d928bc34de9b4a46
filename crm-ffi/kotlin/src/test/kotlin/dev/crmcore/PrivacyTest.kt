package dev.crmcore

import java.nio.file.Files
import java.nio.file.Path
import java.time.LocalDate
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * Forgetting a customer (docs/privacy.md) on an engine over a SQLite file: personal data leaves
 * the state, the log and the file; money, rights and dates stay. The scenario is the
 * cross-language fixture tests/fixtures/forget_customer.json.
 */
class PrivacyTest {
    private val fixture: String =
        Files.readString(Path.of("../../tests/fixtures/forget_customer.json"))

    /** The JSON text of each element of the array under `"key"` (strings keep their quotes). */
    private fun arrayItems(key: String): List<String> {
        val start = fixture.indexOf('[', fixture.indexOf("\"$key\""))
        val items = mutableListOf<String>()
        var depth = 0
        var inString = false
        var escaped = false
        var itemStart = -1
        for (i in start until fixture.length) {
            val c = fixture[i]
            if (inString) {
                when {
                    escaped -> escaped = false
                    c == '\\' -> escaped = true
                    c == '"' -> inString = false
                }
                continue
            }
            if (depth == 1 && itemStart < 0 && !c.isWhitespace() && c != ',' && c != ']') itemStart = i
            when (c) {
                '"' -> inString = true
                '[', '{' -> depth++
                ']', '}' -> depth--
                ',' -> if (depth == 1) {
                    items += fixture.substring(itemStart, i).trim()
                    itemStart = -1
                }
            }
            if (depth == 0) {
                if (itemStart >= 0) items += fixture.substring(itemStart, i).trim()
                break
            }
        }
        return items
    }

    private val erased: List<String> by lazy { arrayItems("erased").map { it.trim('"').lowercase() } }

    private fun leaks(text: String): List<String> = erased.filter { text.lowercase().contains(it) }

    private fun fileLeaks(db: Path): List<String> {
        var bytes = Files.readAllBytes(db)
        val wal = db.resolveSibling(db.fileName.toString() + "-wal")
        if (Files.exists(wal)) bytes += Files.readAllBytes(wal)
        return leaks(String(bytes, Charsets.ISO_8859_1))
    }

    private fun setUp(db: Path): Crm {
        val crm = Crm.open(db.toString())
        for (command in arrayItems("setup")) crm.executeJson(command)
        return crm
    }

    private fun answers(crm: Crm): List<Any?> {
        val at = World.t("2026-04-02T00:00:00Z")
        return listOf(
            crm.balance("C-7"),
            crm.statement("C-7", null),
            crm.aging("C-7", LocalDate.parse("2026-04-02"), 0, null),
            crm.checkEntitlement("""{"customer":"C-7","code":"device_replacement","channel":"branch"}""", at),
            crm.paymentPlansOf("C-7"),
            crm.usage("U-7"),
        )
    }

    @Test
    fun `forgetting erases personal data from the file and keeps the record`() {
        val db = Files.createTempDirectory("crm-privacy").resolve("crm.sqlite")
        val (before, state) = setUp(db).use { crm ->
            // The fixture was read whole and every erased text is on disk, so the checks
            // below can fail.
            assertEquals(arrayItems("setup").size, crm.events().size)
            assertEquals(8, erased.size)
            assertEquals("Hedy Lamarr", crm.customer("C-7").name)
            assertEquals(erased, fileLeaks(db))
            val before = answers(crm)
            val logBefore = crm.events()

            val out = crm.execute(
                World.meta("2026-04-01T09:00:00Z", actor = "privacy-office", key = "forget-c7"),
                """{"type":"forget_customer","customer":"C-7"}""",
            )
            assertEquals(1, out.size)
            assertEquals("customer_forgotten", out[0].type)
            assertEquals("""{"type":"customer_forgotten","customer":"C-7"}""", out[0].event)

            val customer = crm.customer("C-7")
            assertEquals("<forgotten>", customer.name)
            assertEquals(listOf<String>(), leaks(customer.json))
            assertEquals(listOf<String>(), leaks(crm.stateJson()))
            assertEquals(listOf<String>(), leaks(crm.eventsJson()))
            assertEquals(before, answers(crm))
            val logAfter = crm.events()
            assertEquals(logBefore.size + 1, logAfter.size)
            for ((old, new) in logBefore.zip(logAfter)) {
                assertEquals(listOf(old.seq, old.stream, old.streamVersion, old.at, old.actor, old.type),
                    listOf(new.seq, new.stream, new.streamVersion, new.at, new.actor, new.type))
            }
            before to crm.stateJson()
        }
        assertEquals(listOf<String>(), fileLeaks(db))
        Crm.open(db.toString()).use { again ->
            assertEquals(state, again.stateJson())
            assertEquals(before, answers(again))
            Crm.replayJson(again.eventsJson()).use { assertEquals(state, it.stateJson()) }
        }
    }

    @Test
    fun `forgetting an unknown customer is NotFound and changes nothing`() {
        val db = Files.createTempDirectory("crm-privacy").resolve("crm.sqlite")
        setUp(db).use { crm ->
            val state = crm.stateJson()
            val log = crm.eventsJson()
            assertThrows<CrmException.NotFound> {
                crm.execute(World.meta("2026-04-01T09:00:00Z"), """{"type":"forget_customer","customer":"C-404"}""")
            }
            assertEquals(state, crm.stateJson())
            assertEquals(log, crm.eventsJson())
            assertFalse(leaks(crm.stateJson()).isEmpty())
        }
    }
}
