package dev.crmcore

import java.math.BigDecimal
import java.time.Instant
import java.time.LocalDate
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class MoneyTest {
    private fun eur(amount: String) = moneyNew(BigDecimal(amount), "EUR")

    @Test
    fun `money round trips as BigDecimal`() {
        val m = moneyNew(BigDecimal("1200"), "EUR")
        // held at the minor-unit scale: compare BigDecimal with compareTo, not equals
        assertEquals(0, m.amount.compareTo(BigDecimal("1200.00")))
        assertEquals("1200.00", m.amount.toPlainString())
        assertEquals("EUR", m.currency)
        assertEquals(2, currency("EUR").exponent)
        assertEquals(0, currency("JPY").exponent)
        val parsed = moneyParse("0.10", "EUR")
        assertEquals(0, parsed.amount.compareTo(BigDecimal("0.1")))
    }

    @Test
    fun `split and allocate conserve every cent`() {
        val parts = moneySplit(eur("100.00"), 3)
        assertEquals(listOf("33.34", "33.33", "33.33"), parts.map { it.amount.toPlainString() })
        val sum = parts.fold(eur("0")) { acc, p -> moneyAdd(acc, p) }
        assertEquals(0, sum.amount.compareTo(BigDecimal("100")))

        val allocated = moneyAllocate(eur("0.05"), listOf(BigDecimal(3), BigDecimal(7)))
        assertEquals(listOf("0.02", "0.03"), allocated.map { it.amount.toPlainString() })

        val rounded = moneyRounded(BigDecimal("0.125"), "EUR", Rounding.HALF_UP)
        assertEquals("0.13", rounded.amount.toPlainString())
        assertEquals("0.12", moneyRounded(BigDecimal("0.125"), "EUR", Rounding.HALF_EVEN).amount.toPlainString())
        assertEquals("-0.50", moneySub(eur("1.00"), eur("1.50")).amount.toPlainString())
    }

    @Test
    fun `errors are typed exceptions with fields`() {
        val mismatch = assertThrows<CrmException.CurrencyMismatch> {
            moneyAdd(eur("1"), moneyNew(BigDecimal.ONE, "USD"))
        }
        assertEquals("EUR", mismatch.left)
        assertEquals("USD", mismatch.right)
        // `detail` is crm-core's own message (its Display), never a format restated in the binding
        assertTrue(mismatch.detail.contains("EUR") && mismatch.detail.contains("USD"), mismatch.detail)

        val tooPrecise = assertThrows<CrmException.Validation> { moneyNew(BigDecimal("1.005"), "EUR") }
        assertEquals("amount", tooPrecise.field)
        assertTrue(tooPrecise.reason.contains("decimal places"), tooPrecise.reason)

        val badCurrency = assertThrows<CrmException.Validation> { currency("XXX") }
        assertEquals("currency", badCurrency.field)
        assertEquals("XXX", badCurrency.value)
        assertTrue(badCurrency.detail.contains("XXX"), badCurrency.detail)

        val badSplit = assertThrows<CrmException.Validation> { moneySplit(eur("1"), 0) }
        assertEquals("split count", badSplit.field)

        val badId = assertThrows<CrmException.Validation> { validateId("customer_id", " C-1") }
        assertEquals("customer_id", badId.field)
        assertEquals("C-1", validateId("customer_id", "C-1"))
        assertThrows<CrmException.Validation> { validateId("no_such_id", "C-1") }

        // every CrmException is a kotlin.Exception, so a generic handler catches it too
        val any: Exception = assertThrows<CrmException> { businessDurationFromSecs(-1) }
        assertTrue(any is CrmException.Validation)
    }

    @Test
    fun `a panic inside Rust arrives as CrmException Internal`() {
        val e = assertThrows<CrmException.Internal> { diagnosticPanic("boom") }
        assertTrue(e.reason.contains("boom"), e.reason)
        // the library keeps working afterwards
        assertEquals(3, moneySplit(eur("1.00"), 3).size)
    }

    @Test
    fun `a tally is closed with use and shared between threads`() {
        val total = MoneyTally("EUR").use { tally ->
            val pool = Executors.newFixedThreadPool(4)
            repeat(4) {
                pool.submit { repeat(250) { tally.add(eur("0.01")) } }
            }
            pool.shutdown()
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS))
            assertThrows<CrmException.CurrencyMismatch> { tally.add(moneyNew(BigDecimal.ONE, "USD")) }
            tally.total()
        }
        assertEquals(0, total.amount.compareTo(BigDecimal("10.00")))
    }

    @Test
    fun `lifecycle table durations instants and dates cross over`() {
        val table = lineTransitions()
        assertTrue(table.contains(LineTransition(LineKind.SERVICE, LineStatus.CREATED, LineAction.REQUEST_ACTIVATION, LineStatus.PENDING_ACTIVATION)))
        assertEquals(LineStatus.ACTIVE, nextLineStatus(LineKind.SERVICE, LineStatus.SUSPENDED, LineAction.RESUME))
        assertNull(nextLineStatus(LineKind.SERVICE, LineStatus.TERMINATED, LineAction.ACTIVATE))

        assertEquals(5400L, businessDurationFromMinutes(90).seconds)
        assertEquals("1h30m", businessDurationDisplay(BusinessDuration(5400)))

        val start = Instant.parse("2026-03-29T00:30:00Z")
        val end = Instant.parse("2026-03-29T02:30:00.5Z")
        val range = timeRangeNew(start, end)
        assertEquals(end, range.end)
        assertTrue(timeRangeContains(range, Instant.parse("2026-03-29T01:00:00Z")))
        assertThrows<CrmException.Validation> { timeRangeNew(end, start) }

        assertEquals(LocalDate.of(2026, 2, 28), isoDate("2026-02-28"))
        assertThrows<CrmException.Validation> { isoDate("2026-02-30") }
    }
}
