package dev.crmcore

import java.nio.file.Files
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * One engine opened over a SQLite file and shared by many Kotlin threads (issue #11): the
 * history is serializable. No update is lost (a quota is never overspent, every accepted
 * amendment is counted in the stream's version), a stale expected version is reported as
 * `CrmException.Conflict` with its stream and versions, a repeated idempotency key records
 * once, and reopening the file replays to the same state.
 */
class SqliteThreadsTest {
    private val threads = 8

    /** Runs `work(thread)` on `threads` threads released at the same moment. */
    private fun together(work: (Int) -> Unit) {
        val pool = Executors.newFixedThreadPool(threads)
        val start = CountDownLatch(1)
        val jobs = (0 until threads).map { n -> pool.submit { start.await(); work(n) } }
        start.countDown()
        jobs.forEach { it.get(120, TimeUnit.SECONDS) }
        pool.shutdown()
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS))
    }

    @Test
    fun `many threads on one SQLite engine - no lost update, conflicts as conflicts, replay equals state`() {
        val dir = Files.createTempDirectory("crm-threads")
        val path = dir.resolve("events.sqlite").toString()
        val at = "2026-01-01T09:00:00Z"
        val (state, log) = Crm.open(path).use { crm ->
            crm.execute(World.meta(at), """{"type":"register_customer","customer":{"id":"C1","name":"Customer C1"}}""")
            crm.execute(World.meta(at), """{"type":"add_offering","offering":{"id":"TICKETS","name":"Tickets",
                "kind":{"type":"service"},"entitlements":[{"code":"ticket",
                "kind":{"type":"quota","uses":50,"window":{"type":"rolling_days","days":365}}}]}}""")
            crm.execute(World.meta("2026-01-01T10:00:00Z"), """{"type":"create_agreement","agreement":"A1",
                "customer":"C1","sold_through":{"type":"direct"},"term":{"start":"2026-01-01","end":"2027-12-31"},
                "lines":[{"id":"L1","offering":"TICKETS","quantity":1}],
                "signature":{"channel":"branch","at":"2026-01-01T10:00:00Z"}}""")
            crm.execute(World.meta("2026-01-01T10:05:00Z"), World.line("request_activation"))
            crm.execute(World.meta("2026-01-01T10:05:00Z"), World.line("activate"))

            // 1. a quota of 50 uses, 160 attempts from 8 threads: exactly 50 are granted
            val granted = AtomicInteger()
            val denied = AtomicInteger()
            val why = ConcurrentHashMap.newKeySet<String>()
            together { n ->
                for (i in 0 until 20) {
                    try {
                        crm.execute(World.meta("2026-02-01T09:00:00Z"), """{"type":"consume_entitlement",
                            "usage":"U-$n-$i","request":{"customer":"C1","code":"ticket","channel":"phone"}}""")
                        granted.incrementAndGet()
                    } catch (e: CrmException.NotEntitled) {
                        assertTrue(e.reasons.isNotEmpty())
                        why.add(e.detail)
                        denied.incrementAndGet()
                    }
                }
            }
            assertEquals(50, granted.get(), "the quota is neither overspent nor underspent: $why")
            assertEquals(110, denied.get())
            assertEquals(50, crm.events().count { it.type == "usage_recorded" })
            val after = crm.checkEntitlement("""{"customer":"C1","code":"ticket","channel":"phone"}""", World.t("2026-02-01T10:00:00Z"))
            assertEquals(DecisionOutcome.DENIED, after.outcome)
            assertEquals(0, after.remaining!!.remaining.signum())

            // 2. read the version, then amend with it: every amendment that went through is in
            //    the stream's version; the others were refused as conflicts, never applied twice
            val applied = AtomicInteger()
            val conflicts = AtomicInteger()
            val seen = ConcurrentHashMap.newKeySet<Long>()
            val before = crm.agreement("A1").version
            together { n ->
                var done = 0
                while (done < 10) {
                    val version = crm.agreement("A1").version
                    try {
                        val events = crm.execute(World.meta("2026-02-02T09:00:00Z", expected = version),
                            """{"type":"amend_agreement","agreement":"A1","reason":"note",
                               "changes":[{"type":"set_note","note":"thread $n, note $done"}]}""")
                        assertTrue(seen.add(events.single().streamVersion), "two amendments got the same version")
                        assertEquals(version + 1, events.single().streamVersion)
                        applied.incrementAndGet()
                        done++
                    } catch (e: CrmException.Conflict) {
                        assertEquals("agreement/A1", e.stream)
                        assertTrue(e.actual!! > e.expected!!, "${e.expected} -> ${e.actual}")
                        conflicts.incrementAndGet()
                    }
                }
            }
            assertEquals(threads * 10, applied.get())
            assertEquals(before + threads * 10, crm.agreement("A1").version, "no amendment lost")
            val stale = runCatching {
                crm.execute(World.meta("2026-02-02T10:00:00Z", expected = before),
                    """{"type":"amend_agreement","agreement":"A1","reason":"late","changes":[{"type":"set_note","note":"late"}]}""")
            }.exceptionOrNull() as CrmException.Conflict
            assertEquals(before, stale.expected)
            assertEquals(before + threads * 10, stale.actual)
            println("SQLite, $threads Kotlin threads: ${granted.get()} uses granted, ${denied.get()} denied; " +
                "${applied.get()} amendments applied, ${conflicts.get()} version conflicts retried")

            // 3. one idempotency key sent from every thread at once records once
            val answers = ConcurrentHashMap.newKeySet<List<Event>>()
            together {
                answers.add(crm.execute(World.meta("2026-02-03T09:00:00Z", key = "register-C2"),
                    """{"type":"register_customer","customer":{"id":"C2","name":"Customer C2"}}"""))
            }
            assertEquals(1, answers.size, "every thread gets the first answer")
            assertEquals(1, crm.events().count { it.type == "customer_registered" && it.stream == "customer/C2" })

            val events = crm.events()
            assertEquals((1L..events.size.toLong()).toList(), events.map { it.seq }, "one gapless history")
            Crm.replay(events).use { assertEquals(crm.stateJson(), it.stateJson()) }
            crm.stateJson() to crm.eventsJson()
        }
        Crm.open(path).use { again ->
            assertEquals(state, again.stateJson(), "reopening the file replays to the same state")
            assertEquals(log, again.eventsJson())
            assertEquals(50, again.events().count { it.type == "usage_recorded" })
        }
        Files.deleteIfExists(dir.resolve("events.sqlite"))
    }
}
