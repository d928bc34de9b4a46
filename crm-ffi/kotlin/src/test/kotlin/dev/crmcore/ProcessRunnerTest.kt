package dev.crmcore

import java.time.Duration
import java.time.Instant
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * `ProcessRunner`: one process instance stepped in memory, as the engine's `AdvanceProcess`
 * would step it; refused moves throw typed exceptions and change nothing.
 */
class ProcessRunnerTest {
    private val t = World::t

    private fun berlin() = businessClockBerlin()

    private val ticket = """{"id":"ticket","name":"Ticket","version":1,"interaction_kinds":["ticket"],
        "steps":[
          {"id":"triage","name":"Triage","action":"read","kind":"start",
           "performer":{"type":"queue","name":"first_line"},"sla":{"seconds":3600}},
          {"id":"fix","name":"Fix","action":"fix","kind":"task","performer":{"type":"queue","name":"second_line"}},
          {"id":"closed","name":"Closed","action":"close","kind":"end","performer":{"type":"queue","name":"first_line"}}],
        "edges":[
          {"from":"triage","outcome":"escalate","to":"fix"},
          {"from":"triage","outcome":"refund","to":"closed","guard":{"key":"amount","op":"le","value":{"integer":50}}},
          {"from":"fix","outcome":"retry","to":"triage"},
          {"from":"fix","outcome":"fixed","to":"closed"}]}"""
    private val t0 = t("2026-03-02T09:00:00Z") // a Monday, 10:00 in Berlin
    private val first = Performer.Queue("first_line")
    private val second = Performer.Queue("second_line")

    private fun runner(id: String = "P-1", at: Instant = t0) = ProcessRunner(ticket, berlin(), id, "C1", at)

    @Test
    fun `ProcessRunner - a ticket moves and records its moves`() {
        runner().use { r ->
            assertEquals("triage", r.step())
            assertFalse(r.ended())
            assertEquals(0L, r.moveCount())
            assertEquals(listOf("escalate", "refund"), r.availableOutcomes().sorted())
            val m = r.advance("escalate", t0.plus(Duration.ofMinutes(30)), first)
            assertEquals(Triple("triage", "fix", "escalate"), Triple(m.from, m.to, m.outcome))
            assertEquals(first, m.performer)
            assertEquals(second, m.toPerformer)
            assertEquals(BusinessDuration(1800), m.businessTime)
            assertEquals("triage", r.advance("retry", t0.plus(Duration.ofHours(1)), second).to)
            val last = r.advance("refund", t0.plus(Duration.ofHours(2)), first, """{"amount":{"integer":20}}""")
            assertEquals("closed", last.to)
            assertTrue(r.ended())
            assertEquals("closed", r.step())
            assertEquals(3L, r.moveCount())
            assertEquals(emptyList<String>(), r.availableOutcomes())
            assertEquals(listOf("escalate", "retry", "refund"), r.history().map { it.outcome })
            val inst = r.instance()
            assertEquals("P-1", inst.id)
            assertEquals("ticket", inst.definition)
            assertEquals("closed", inst.step)
            assertEquals(3L, inst.moves)
            assertEquals(t0.plus(Duration.ofHours(2)), inst.endedAt)
        }
    }

    @Test
    fun `ProcessRunner - the step clock runs on the calendar`() {
        // Friday 16:30 in Berlin; the triage SLA of 1 h runs in business time
        runner("P-2", t("2026-03-06T15:30:00Z")).use { r ->
            val status = r.status(t("2026-03-09T08:00:00Z"))
            assertEquals("triage", status.step)
            assertEquals(t("2026-03-09T08:30:00Z"), status.stepSla!!.deadline)
        }
    }

    @Test
    fun `ProcessRunner - the same moves as the engine's AdvanceProcess`() {
        World.world().use { crm ->
            crm.execute(World.meta("2026-03-01T09:00:00Z"), """{"type":"register_process_definition","definition":$ticket}""")
            crm.execute(World.meta("2026-03-02T09:00:00Z"), """{"type":"start_process","start":{"instance":"P-9",
                "definition":"ticket","customer":"C1","calendar":"support"}}""")
            crm.businessClock("support").use { clock ->
                ProcessRunner(ticket, clock, "P-9", "C1", t0).use { r ->
                    listOf("escalate" to first, "retry" to second, "escalate" to first, "fixed" to second)
                        .forEachIndexed { k, (outcome, who) ->
                            val at = t0.plus(Duration.ofHours(5L * (k + 1)))
                            val performer = when (who) { first -> "first_line"; else -> "second_line" }
                            crm.execute(World.meta(at.toString()), """{"type":"advance_process","instance":"P-9",
                                "outcome":"$outcome","performer":{"type":"queue","name":"$performer"}}""")
                            r.advance(outcome, at, who)
                        }
                    val registered = crm.processDefinition("ticket")
                    assertEquals(Triple("ticket", "Ticket", 1L), Triple(registered.id, registered.name, registered.version))
                    assertEquals(listOf("triage", "fix", "closed"), registered.steps.map { it.id })
                    assertEquals(listOf(StepKind.START, StepKind.TASK, StepKind.END), registered.steps.map { it.kind })
                    assertEquals(second, registered.steps[1].performer)
                    assertEquals(BusinessDuration(3600), registered.steps[0].sla)
                    val refund = registered.edges.single { it.outcome == "refund" }
                    assertEquals("closed", refund.to)
                    assertTrue(refund.guard!!.contains("\"amount\""), refund.guard)
                    assertEquals(null, registered.edges.single { it.outcome == "escalate" }.guard)
                    // the record's json runs the same
                    ProcessRunner(registered.json, clock, "P-10", "C1", t0).use { again ->
                        assertEquals("fix", again.advance("escalate", t0.plus(Duration.ofMinutes(1)), first).to)
                    }
                    val engine = crm.processInstance("P-9")
                    val mine = r.instance()
                    assertEquals(engine.copy(json = ""), mine.copy(json = ""))
                    assertEquals(engine.json, mine.json)
                }
            }
        }
    }

    @Test
    fun `ProcessRunner - refused moves throw typed exceptions and change nothing`() {
        runner().use { r ->
            r.advance("escalate", t0.plus(Duration.ofMinutes(30)), first)
            val before = r.instance()
            val wrong = assertThrows<CrmException.InvalidTransition> { r.advance("refund", t0.plus(Duration.ofHours(1)), second) }
            assertEquals("P-1", wrong.id)
            assertTrue(wrong.entity.isNotEmpty() && wrong.state.isNotEmpty() && wrong.action.contains("refund"), wrong.toString())
            assertThrows<CrmException.Validation> { r.advance("fixed", t0.plus(Duration.ofHours(1)), first) } // not the step's performer
            assertThrows<CrmException.Validation> { r.advance("fixed", t0, second) } // before the last move
            assertThrows<CrmException.Json> { r.advance("fixed", t0.plus(Duration.ofHours(1)), second, "{not json") }
            assertEquals(before, r.instance())
            assertEquals("fix", r.step())
            assertEquals(1L, r.moveCount())
        }
        runner().use { r2 ->
            assertThrows<CrmException.InvalidTransition> { // the guard is false
                r2.advance("refund", t0.plus(Duration.ofHours(1)), first, """{"amount":{"integer":80}}""")
            }
            assertThrows<CrmException.NotFound> { r2.advance("refund", t0.plus(Duration.ofHours(1)), first) } // the key is missing
            assertEquals(0L, r2.moveCount())
            r2.advance("escalate", t0.plus(Duration.ofHours(1)), first)
            r2.advance("fixed", t0.plus(Duration.ofHours(2)), second)
            assertThrows<CrmException.InvalidTransition> { r2.advance("retry", t0.plus(Duration.ofHours(3)), second) } // ended
        }
    }

    @Test
    fun `ProcessRunner - bad construction is a typed exception`() {
        berlin().use { clock ->
            assertThrows<CrmException.Validation> { ProcessRunner(ticket, clock, "", "C1", t0) }
            assertThrows<CrmException.Json> { ProcessRunner("""{"id":"x"}""", clock, "P-1", "C1", t0) }
            // a definition without an end step: built by the core, every problem listed
            val noEnd = assertThrows<CrmException.InvalidDefinition> {
                ProcessRunner("""{"id":"t","name":"T","version":1,"steps":[{"id":"a","name":"A","action":"x",
                    "kind":"start","performer":{"type":"queue","name":"q"}}],"edges":[]}""", clock, "P-1", "C1", t0)
            }
            assertTrue(noEnd.problems.any { "end step" in it }, noEnd.problems.toString())
            assertThrows<CrmException.NotFound> { // an SLA override for an unknown step
                ProcessRunner(ticket, clock, "P-1", "C1", t0, sla = """{"steps":{"nowhere":{"target":{"seconds":60},
                    "source":{"type":"host","reason":"x"}}}}""")
            }
            assertNotNull(ProcessRunner(ticket, clock, "P-1", "C1", t0, agreement = "A1", data = """{"amount":{"integer":1}}"""))
        }
    }
}
