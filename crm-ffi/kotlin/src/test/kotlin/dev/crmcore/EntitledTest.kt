package dev.crmcore

import java.time.Instant
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** `isEntitled` / `areEntitled`: the yes/no of an entitlement check, as in the Python package. */
class EntitledTest {
    private val t = World::t

    @Test
    fun `isEntitled agrees with checkEntitlement, areEntitled with each, nothing is used`() {
        World.world().use { crm ->
            val cases = listOf(
                World.request(),                                   // granted, a quota
                World.request(code = "support"),                   // a service-level entitlement
                """{"customer":"C1","code":"device_replacement","channel":"branch"}""",
            )
            fun agree(at: Instant): List<Boolean> {
                val answers = cases.map { crm.isEntitled(it, at) }
                assertEquals(cases.map { crm.checkEntitlement(it, at).outcome != DecisionOutcome.DENIED }, answers)
                assertEquals(answers, crm.areEntitled(cases, at))
                return answers
            }
            val before = crm.stateJson()
            val first = agree(t("2026-02-01T10:00:00Z"))
            assertTrue(first[0], "a quota with uses left is granted")
            assertEquals(before, crm.stateJson(), "asking records nothing")
            // use the quota up: the yes becomes a no, as the decision does
            for (n in 1..2) {
                crm.execute(World.meta("2026-02-0${n}T11:00:00Z"),
                    """{"type":"consume_entitlement","usage":"U-$n","request":${World.request()}}""")
            }
            assertFalse(agree(t("2026-02-03T10:00:00Z"))[0])
            // suspended line: denied too
            crm.execute(World.meta("2026-02-03T12:00:00Z"), World.line("suspend"))
            assertFalse(agree(t("2026-02-04T10:00:00Z"))[1])
            assertEquals(emptyList<Boolean>(), crm.areEntitled(emptyList(), t("2026-02-04T10:00:00Z")))
        }
    }

    @Test
    fun `isEntitled - bad input is a typed exception and changes nothing`() {
        World.world().use { crm ->
            val before = crm.stateJson()
            val at = t("2026-02-01T10:00:00Z")
            assertThrows<CrmException.NotFound> { crm.isEntitled(World.request(customer = "C-404"), at) }
            // an instant before any agreement: Validation, as checkEntitlement says
            assertThrows<CrmException.Validation> { crm.checkEntitlement(World.request(), t("2025-12-01T10:00:00Z")) }
            assertThrows<CrmException.Validation> { crm.isEntitled(World.request(), t("2025-12-01T10:00:00Z")) }
            // an entitlement the customer lacks: NotFound, as checkEntitlement says
            assertThrows<CrmException.NotFound> { crm.checkEntitlement(World.request(code = "roaming"), at) }
            assertThrows<CrmException.NotFound> { crm.isEntitled(World.request(code = "roaming"), at) }
            assertThrows<CrmException.Json> { crm.isEntitled("""{"customer":"C1"}""", at) }
            assertThrows<CrmException.Json> { crm.isEntitled("""{"customer":"C1","code":"x","channel":"fax"}""", at) }
            // one bad request fails the whole batch
            assertThrows<CrmException.NotFound> { crm.areEntitled(listOf(World.request(), World.request(customer = "C-404")), at) }
            assertThrows<CrmException.Json> { crm.areEntitled(listOf(World.request(), "not json"), at) }
            assertEquals(before, crm.stateJson())
        }
    }
}
