package dev.crmcore

import java.time.Duration
import java.time.Instant
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.CsvSource
import org.junit.jupiter.api.assertThrows

/**
 * `BusinessClock`: business-hours arithmetic without an engine (add, between, addMany) on a
 * Mon-Fri 09:00-17:00 Europe/Berlin calendar with holidays, across a clock change; the
 * expected deadlines are the Python package's tests'.
 */
class BusinessClockTest {
    private val t = World::t
    private val h4 = BusinessDuration(4 * 3600)

    private fun berlin() = businessClockBerlin()

    @ParameterizedTest
    @CsvSource(
        // Friday 16:30 CET: half an hour left, then Monday 09:00 + 3.5 h
        "2026-03-06T15:30:00Z, 4, 2026-03-09T11:30:00Z",
        // a deadline that uses up the day exactly is that day's closing
        "2026-03-09T08:00:00Z, 8, 2026-03-09T16:00:00Z",
        // Friday at closing, then the clock change: Monday opens at 09:00 CEST (07:00 UTC)
        "2026-03-27T16:00:00Z, 4, 2026-03-30T11:00:00Z",
        // Thursday 16:00 CEST, Good Friday and Easter Monday closed: Tuesday 09:00 + 3 h
        "2026-04-02T14:00:00Z, 4, 2026-04-07T10:00:00Z",
        // a start at night counts from the next opening
        "2026-03-10T22:00:00Z, 1, 2026-03-11T09:00:00Z",
    )
    fun `BusinessClock add - known deadlines across DST and holidays`(start: String, hours: Long, deadline: String) {
        berlin().use { clock ->
            val d = businessDurationFromHours(hours)
            assertEquals(t(deadline), clock.add(t(start), d))
            assertEquals(d, clock.between(t(start), t(deadline)))
            assertEquals(listOf(t(deadline), t(deadline)), clock.addMany(listOf(t(start), t(start)), d))
        }
    }

    @Test
    fun `BusinessClock - paused ranges, between, addMany, from the engine`() {
        berlin().use { clock ->
            assertEquals("support", clock.id())
            assertEquals("Europe/Berlin", clock.zone())
            val monday = t("2026-03-09T08:00:00Z")
            assertEquals(monday, clock.add(monday, BusinessDuration(0)))
            val pause = timeRangeNew(t("2026-03-09T09:00:00Z"), t("2026-03-09T10:00:00Z"))
            assertEquals(t("2026-03-09T13:00:00Z"), clock.add(monday, h4, listOf(pause)))
            assertEquals(businessDurationFromHours(40), clock.between(monday, t("2026-03-16T08:00:00Z")))
            assertEquals(39L * 3600, clock.between(monday, t("2026-03-16T08:00:00Z"), listOf(pause)).seconds)
            val many = (0 until 500).map { t("2026-03-02T00:00:00Z").plus(Duration.ofMinutes(317L * it)) }
            assertEquals(many.map { clock.add(it, h4) }, clock.addMany(many, h4))
            assertEquals(emptyList<Instant>(), clock.addMany(emptyList(), h4))
            // a clock from its own JSON is the same calendar
            BusinessClock(clock.toJson()).use { again -> assertEquals(clock.add(monday, h4), again.add(monday, h4)) }
        }
        // the engine's calendar (no holidays): Friday 16:30 Berlin + 4 h is Monday 11:30 too
        World.world().use { crm ->
            crm.businessClock("support").use { clock ->
                assertEquals(t("2026-03-09T11:30:00Z"), clock.add(t("2026-03-06T15:30:00Z"), h4))
                // Good Friday is a working day here: 1 h on Thursday, 3 h from 09:00 CEST Friday
                assertEquals(t("2026-04-03T10:00:00Z"), clock.add(t("2026-04-02T14:00:00Z"), h4))
            }
            assertThrows<CrmException.NotFound> { crm.businessClock("nowhere") }
        }
    }

    @Test
    fun `the calendar as a typed record, from a clock and from the engine`() {
        berlin().use { clock ->
            val cal = clock.calendar()
            assertEquals("support", cal.id)
            assertEquals("Europe/Berlin", cal.zone)
            assertEquals(listOf(WorkingHours(9L * 3600, 17L * 3600, "09:00-17:00")), cal.monday)
            assertEquals(emptyList<WorkingHours>(), cal.sunday)
            assertEquals(listOf(java.time.LocalDate.of(2026, 4, 3), java.time.LocalDate.of(2026, 4, 6)), cal.holidays.map { it.date })
            assertEquals("Good Friday", cal.holidays[0].name)
            assertTrue(cal.holidays.all { it.hours.isEmpty() }, "closed all day")
            assertEquals(businessDurationFromHours(40), cal.weeklyBusinessTime)
            BusinessClock(cal.json).use { again -> assertEquals(cal, again.calendar()) }
        }
        World.world().use { crm ->
            val cal = crm.calendar("support")
            assertEquals(emptyList<Holiday>(), cal.holidays)
            assertEquals(cal, crm.businessClock("support").use { it.calendar() })
            assertThrows<CrmException.NotFound> { crm.calendar("nowhere") }
        }
    }

    @Test
    fun `BusinessClock - bad input is a typed exception`() {
        berlin().use { clock ->
            assertThrows<CrmException.Validation> { clock.add(t("2026-03-09T08:00:00Z"), BusinessDuration(-1)) }
            assertThrows<CrmException.Validation> { clock.between(t("2026-03-09T10:00:00Z"), t("2026-03-09T09:00:00Z")) }
            val backwards = TimeRange(t("2026-03-09T10:00:00Z"), t("2026-03-09T09:00:00Z"))
            assertThrows<CrmException.Validation> { clock.add(t("2026-03-09T08:00:00Z"), h4, listOf(backwards)) }
            val far = Instant.MAX
            val many = assertThrows<CrmException.Validation> {
                clock.addMany(listOf(t("2026-03-09T08:00:00Z"), t("2026-03-09T08:00:00Z"), far), h4)
            }
            assertEquals("instants[2]", many.field)
        }
        assertThrows<CrmException.Json> { BusinessClock("""{"id":"x"}""") }
        assertThrows<CrmException.Json> { BusinessClock("not json") }
        // content the core refuses is its own typed error, not a JSON one
        val mars = assertThrows<CrmException.Validation> { BusinessClock("""{"id":"x","zone":"Mars/Olympus","week":{},"holidays":[]}""") }
        assertEquals("Mars/Olympus", mars.value)
        val overlap = assertThrows<CrmException.InvalidDefinition> {
            BusinessClock("""{"id":"x","zone":"UTC","week":{"monday":[{"start":"09:00","end":"12:00"},{"start":"11:00","end":"13:00"}]}}""")
        }
        assertTrue(overlap.problems.single().contains("overlaps"), overlap.problems.toString())
    }
}

/** The Berlin support calendar of the clock and runner tests, with the Easter holidays of 2026. */
fun businessClockBerlin() = BusinessClock("""{"id":"support","zone":"Europe/Berlin",
    "week":{"monday":[{"start":"09:00","end":"17:00"}],"tuesday":[{"start":"09:00","end":"17:00"}],
    "wednesday":[{"start":"09:00","end":"17:00"}],"thursday":[{"start":"09:00","end":"17:00"}],
    "friday":[{"start":"09:00","end":"17:00"}]},
    "holidays":[{"date":"2026-04-03","name":"Good Friday"},{"date":"2026-04-06","name":"Easter Monday"}]}""")
