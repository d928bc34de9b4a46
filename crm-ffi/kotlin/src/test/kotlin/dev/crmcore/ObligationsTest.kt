package dev.crmcore

import java.math.BigDecimal
import java.time.Instant
import java.time.LocalDate
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Story 3 up to collections (which come with the engine's obligation commands), bad input. */
class ObligationsTest {
    private fun eur(amount: String) = """{"amount":"$amount","currency":"EUR"}"""
    private fun payment(id: String, at: String, amount: String) = """{"id":"$id","customer_id":"C1",
        "received_at":"$at","amount":${eur(amount)},"method":"bank_transfer","reference":"$id"}"""

    private val device = """{"id":"P-DEV","customer_id":"C1","agreement_id":"A1","line_id":"L-DEV",
        "payment_type":"sale","periodicity":{"type":"installments","total":${eur("1200.00")},"count":12,
        "every":{"type":"monthly"},"first_due":"2025-01-31"}}"""
    private val service = """{"id":"P-SVC","customer_id":"C1","agreement_id":"A1","line_id":"L-SVC",
        "payment_type":"service","periodicity":{"type":"recurring","amount":${eur("49.90")},
        "every":{"type":"monthly"},"start":"2025-01-01","end":null,"timing":"in_advance","price_changes":[]}}"""

    @Test
    fun `story 3 - installments sum exactly, late and partial payments, aging`() {
        val installments = paymentPlanChargesUntil(device, LocalDate.parse("2025-12-31"), null)
        val amounts = Regex("\"amount\":\\{\"amount\":\"([0-9.]+)\"").findAll(installments).map { BigDecimal(it.groupValues[1]) }.toList()
        assertEquals(12, amounts.size)
        assertEquals(0, amounts.fold(BigDecimal.ZERO, BigDecimal::add).compareTo(BigDecimal("1200.00")))
        val svc = paymentPlanChargesUntil(service, LocalDate.parse("2025-03-31"), null)
        Ledger("C1", "EUR").use { ledger ->
            ledger.addCharges(svc, Instant.parse("2025-01-01T00:00:00Z"))
            ledger.recordPayment(payment("PAY-1", "2025-01-20T10:00:00Z", "49.90"))
            ledger.recordPayment(payment("PAY-2", "2025-03-15T10:00:00Z", "49.90"))
            ledger.recordPayment(payment("PAY-3", "2025-04-10T10:00:00Z", "20.00"))
            assertEquals(0, ledger.balance().amount.compareTo(BigDecimal("29.90")))
            val aging = ledger.aging(LocalDate.parse("2025-04-15"), 0, null)
            assertEquals(0, aging.overdue.amount.compareTo(BigDecimal("29.90")), aging.toString())
            assertEquals(LocalDate.parse("2025-03-01"), aging.oldestOverdueDueDate)
            val r = ledger.reconcile(LocalDate.parse("2025-01-01"), LocalDate.parse("2025-03-31"), LocalDate.parse("2025-04-15"), null)
            assertEquals(false, r.allReceived)
            assertEquals(0, r.missing.amount.compareTo(BigDecimal("29.90")), r.toString())
            assertEquals(listOf(LocalDate.parse("2025-03-01")), r.unpaid.map { it.unpaidSince })
            val st = ledger.statement(null)
            assertEquals(3, st.charges.size)
            assertEquals(0, st.open.amount.compareTo(BigDecimal("29.90")))
            ledger.reversePayment("PAY-3", Instant.parse("2025-04-12T10:00:00Z"), "bounced")
            assertEquals(0, ledger.balance().amount.compareTo(BigDecimal("49.90")))
            Ledger.fromJson(ledger.toJson()).use { again -> assertEquals(ledger.totals(), again.totals()) }
            val totals = ledger.totals()
            assertEquals(0, totals.received.amount.compareTo(BigDecimal("99.80")), totals.toString())
            assertEquals(0, totals.balance.amount.compareTo(BigDecimal("49.90")))
        }
        assertTrue(installments.contains("\"due_date\":\"2025-02-28\""), "month-end anchored")
    }

    @Test
    fun `bad obligation input throws typed exceptions and changes nothing`() {
        Ledger("C1", "EUR").use { ledger ->
            val before = ledger.toJson()
            assertThrows<CrmException.CurrencyMismatch> {
                ledger.recordPayment("""{"id":"PAY-USD","customer_id":"C1","received_at":"2025-01-01T00:00:00Z",
                    "amount":{"amount":"1.00","currency":"USD"},"method":"cash","reference":"x"}""")
            }
            assertThrows<CrmException.NotFound> { ledger.reversePayment("PAY-404", Instant.parse("2025-01-01T00:00:00Z"), "x") }
            assertThrows<CrmException.Validation> {
                ledger.reconcile(LocalDate.parse("2025-02-01"), LocalDate.parse("2025-01-01"), LocalDate.parse("2025-03-01"), null)
            }
            assertThrows<CrmException.Validation> { ledger.aging(LocalDate.parse("2025-02-01"), -1, null) }
            assertThrows<CrmException.Json> { ledger.recordPayment("{}") }
            assertEquals(before, ledger.toJson())
        }
        assertThrows<CrmException.Validation> { Ledger("C1", "XXX") }
    }
}
