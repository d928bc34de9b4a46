package dev.crmcore

import java.math.BigDecimal
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The engine's 360 view, audit, interactions, measures and obligation queries (JSON). */
class ViewsTest {
    private val t = World::t

    @Test
    fun `the 360 view, audit, measures, accountability`() {
        World.world().use { crm ->
            val at = t("2026-02-01T10:00:00Z")
            val view = crm.customer360("C1", at, 10)
            assertEquals("C1", view.customer)
            assertEquals(at, view.at)
            assertEquals(listOf("A1"), view.agreements.map { it.agreement })
            assertEquals(listOf(view), crm.customer360Batch(listOf("C1"), at, 10))
            assertEquals(view.alerts, crm.audit("C1", at))
            assertEquals(emptyList<Interaction>(), crm.interactionsOf("C1", 5))
            assertEquals(0L, crm.serviceMeasures(t("2026-01-01T00:00:00Z"), at, null).contacts)
            val accountability = crm.accountability(at)
            assertEquals(CommitmentTally(0, 0, 0, 0, 0, 0), accountability.totals)
            assertEquals(at, accountability.at)
            assertNull(crm.tierOf("C1"))
            assertEquals(emptyList<CompensationGrant>(), crm.compensationsOf("C1"))
            assertEquals(emptyList<PaymentPlan>(), crm.paymentPlansOf("C1"))
        }
    }

    @Test
    fun `bad input for the new queries`() {
        World.world().use { crm ->
            val at = t("2026-02-01T10:00:00Z")
            assertThrows<CrmException.NotFound> { crm.customer360("C-404", at, 10) }
            assertThrows<CrmException.Validation> { crm.customer360("C1", at, -1) }
            assertThrows<CrmException.NotFound> { crm.interaction("CHAT-404") }
            assertThrows<CrmException.NotFound> { crm.collectionActions("C1", "no-such-policy", at) }
            assertThrows<CrmException.Validation> { crm.serviceMeasures(at, t("2026-01-01T00:00:00Z"), null) }
            assertThrows<CrmException.Json> { crm.serviceMeasures(t("2026-01-01T00:00:00Z"), at, "{\"shoe\":1}") }
        }
        assertTrue(BigDecimal.ONE.signum() > 0)
    }
}
