package dev.crmcore

import java.math.BigDecimal
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Policies as in docs/policies.md, and stories 1, 2 and 4 of DOMAIN.md (story 5 is in EngineTest). */
object Policies {
    const val TIERING = """{"tiers":["standard","silver","gold","platinum"],"table":{"name":"tiering",
        "hit_policy":"first","inputs":[{"name":"revenue","type":"money","currency":"EUR"},
        {"name":"potential","type":"money","currency":"EUR"},{"name":"days_overdue","type":"integer"}],
        "outputs":[{"name":"tier","type":"string"}],"rules":[
        {"id":"R1","when":{"days_overdue":{"op":"gt","value":60}},"then":{"tier":"standard"}},
        {"id":"R2","when":{"revenue":{"op":"ge","value":"100000.00"}},"then":{"tier":"platinum"}},
        {"id":"R3","when":{"potential":{"op":"ge","value":"100000.00"},"revenue":{"op":"lt","value":"5000.00"}},
         "then":{"tier":"gold"}}]}}"""

    const val SERVICE = """{"tiers":["standard","silver","gold","platinum"],"cap_period":{"period":"calendar_month"},
        "per_tier":{"standard":{"routing_priority":0,"compensation_cap":{"amount":"50.00","currency":"EUR"}},
        "silver":{"routing_priority":1,"compensation_cap":{"amount":"100.00","currency":"EUR"}},
        "gold":{"routing_priority":2,"compensation_cap":{"amount":"200.00","currency":"EUR"},
          "sla":{"complaint":{"response":{"rule":"multiplier","factor":"0.5"},
                              "resolution":{"rule":"absolute","duration":{"seconds":14400}}}}},
        "platinum":{"routing_priority":3,"compensation_cap":{"amount":"300.00","currency":"EUR"}}}}"""

    const val COMPENSATION = """{"tiers":["standard","silver","gold","platinum"],
        "approvals":[{"above":{"amount":"75.00","currency":"EUR"},"role":"supervisor"}],
        "table":{"name":"compensation","hit_policy":"first",
        "inputs":[{"name":"commitment_broken","type":"boolean"},{"name":"tier","type":"string"}],
        "outputs":[{"name":"credit","type":"money","currency":"EUR"}],
        "rules":[{"id":"C1","when":{"commitment_broken":{"op":"eq","value":true}},"then":{"credit":"20.00"}}]}}"""

    fun measures(customer: String, revenue: String, potential: String) = """{"customer":"$customer",
        "revenue":{"amount":"$revenue","currency":"EUR"},"margin":{"amount":"0.00","currency":"EUR"},
        "potential":{"amount":"$potential","currency":"EUR"},"customer_since":"2024-01-01","days_overdue":0,
        "bounced_payments":0,"churn_risk":"0.1","open_complaints":0}"""
}

class StoriesTest {
    private val t = World::t

    @Test
    fun `story 1 - broken phone, loan device, extension, broken callback, compensation`() {
        World.world().use { crm ->
            val decision = crm.checkEntitlement(World.request(), t("2026-02-02T09:00:00Z"))
            assertEquals(DecisionOutcome.GRANTED, decision.outcome)
            assertEquals(0, decision.remaining!!.remaining.compareTo(BigDecimal.ONE))
            crm.execute(World.meta("2026-02-02T09:05:00Z"),
                """{"type":"consume_entitlement","usage":"REPL-1","request":${World.request()}}""")
            crm.execute(World.meta("2026-02-02T09:10:00Z"), """{"type":"make_commitment","commitment":{
                "id":"LOAN-RETURN-1","customer":"C1","agreement":"A1","description":"return the loan device",
                "made_by":{"type":"customer","customer":"C1"},"responsible":{"type":"customer","customer":"C1"},
                "due_at":"2026-02-16T17:00:00Z"}}""")
            val loan = """{"type":"commitment","commitment":"LOAN-RETURN-1"}"""
            crm.execute(World.meta("2026-02-15T10:00:00Z", actor = "supervisor-3"), """{"type":"approve_exception",
                "exception":{"id":"EXT-1","customer":"C1","agreement":"A1","scope":$loan,
                "effect":{"type":"extend","until":"2026-03-02T17:00:00Z"},"approved_by":"supervisor-3",
                "reason":"repair delayed","valid_from":"2026-02-15T10:00:00Z","valid_to":"2026-03-02T17:00:00Z"}}""")
            // the reminder must not fire while the extension holds
            assertEquals(listOf("EXT-1"), crm.exceptionsCovering("C1", loan, t("2026-02-20T08:00:00Z"), null).map { it.id })
            assertEquals(emptyList<ApprovedException>(), crm.exceptionsCovering("C1", loan, t("2026-03-03T08:00:00Z"), null))
            crm.execute(World.meta("2026-02-20T09:00:00Z"), """{"type":"make_commitment","commitment":{
                "id":"CALLBACK-1","customer":"C1","description":"call back about the complaint",
                "made_by":{"type":"employee","employee":"agent-7"},
                "responsible":{"type":"organisation","unit":"back office"},"due_at":"2026-02-22T17:00:00Z"}}""")
            val overdue = crm.overdueCommitments(t("2026-02-23T09:00:00Z")).single { it.id == "CALLBACK-1" }
            assertEquals(Party.Organisation("back office"), overdue.responsible)
            assertEquals(Party.Employee("agent-7"), overdue.madeBy)
            assertEquals(CommitmentState.OPEN, overdue.state)
            ServicePolicy(Policies.SERVICE).use { service ->
                CompensationPolicy(Policies.COMPENSATION).use { policy ->
                    val offer = policy.decide(
                        """{"id":"CALLBACK-1","category":"callback","severity":"low","commitment_broken":true}""",
                        """{"customer":"C1","tier":"standard","value":{"amount":"500.00","currency":"EUR"}}""",
                        "[]", service.compensationCap("standard"), t("2026-02-23T09:05:00Z"))
                    assertEquals(moneyParse("20.00", "EUR"), offer.credit, offer.toString())
                    assertEquals("C1", offer.rule)
                    assertEquals("standard", offer.tier)
                    assertEquals(false, offer.reduced)
                    assertEquals(null, offer.approvalRole, "20.00 is under the 75.00 approval threshold")
                    assertEquals(moneyParse("30.00", "EUR"), offer.capRemaining, "the standard cap is 50.00")
                }
            }
        }
    }

    @Test
    fun `story 2 - a promise made by an agent and broken by the carrier`() {
        World.world().use { crm ->
            crm.execute(World.meta("2026-04-01T09:00:00Z"),
                """{"type":"register_partner","partner":{"id":"TRAVEL-AG","name":"Sunny Travel","kind":"agent"}}""")
            crm.execute(World.meta("2026-04-01T09:05:00Z", actor = "TRAVEL-AG"), """{"type":"make_commitment",
                "commitment":{"id":"MEAL-1","customer":"C1","description":"vegetarian meal on XY123",
                "made_by":{"type":"partner","partner":"TRAVEL-AG"},
                "responsible":{"type":"organisation","unit":"carrier catering"},"due_at":"2026-04-10T12:00:00Z"}}""")
            val closed = crm.execute(World.meta("2026-04-10T13:00:00Z"),
                """{"type":"break_commitment","commitment":"MEAL-1","reason":"meal not loaded"}""").single()
            assertEquals("commitment_closed", closed.type)
            val meal = crm.commitmentsOf("C1").single { it.id == "MEAL-1" }
            assertEquals(Party.Partner("TRAVEL-AG"), meal.madeBy)
            assertEquals(Party.Organisation("carrier catering"), meal.responsible)
            assertEquals(CommitmentState.BROKEN, meal.state)
            assertEquals("meal not loaded", meal.closeReason)
            // who broke it: the carrier's catering, on a promise the travel agent made
            val report = crm.accountability(t("2026-04-10T15:00:00Z"))
            val carrier = report.parties.single { it.responsible == Party.Organisation("carrier catering") }
            assertEquals(1L, carrier.counts.broken)
            assertEquals(listOf("MEAL-1"), carrier.broken.map { it.id })
            assertEquals(1L, report.partners.single { it.partner == "TRAVEL-AG" }.made.broken)
            crm.execute(World.meta("2026-04-10T14:00:00Z"), """{"type":"start_process","start":{"instance":"P-MEAL",
                "interaction_kind":"complaint","customer":"C1","calendar":"support","interaction":"CALL-9"}}""")
            assertEquals("P-MEAL", crm.processOfInteraction("CALL-9")!!.id)
        }
    }

    @Test
    fun `story 4 - low revenue, large potential - a preferred tier and its shorter SLA`() {
        TieringPolicy(Policies.TIERING).use { tiering ->
            val d = tiering.assignTier(Policies.measures("SMB-1", "3000.00", "250000.00"), t("2026-03-01T00:00:00Z"), "standard")
            assertEquals("gold", d.tier)
            assertEquals("R3", d.rule)
            assertEquals("standard", d.previous)
            assertTrue(d.changed, d.toString())
            ServicePolicy(Policies.SERVICE).use { service ->
                val gold = service.targets("gold", "complaint", """{"resolution":{"seconds":28800}}""")
                assertTrue(gold.contains("\"resolution\":{\"seconds\":14400}"), gold)
                val standard = service.targets("standard", "complaint", """{"resolution":{"seconds":28800}}""")
                assertTrue(standard.contains("\"resolution\":{\"seconds\":28800}"), standard)
                assertTrue(service.routingPriority("gold") > service.routingPriority("standard"))
            }
            val usd = Policies.measures("USD-1", "1.00", "0.00").replace("\"EUR\"", "\"USD\"")
            val batch = tiering.assignTiers("[" + (1..50).joinToString(",") {
                """{"measures":${Policies.measures("C$it", "200000.00", "0.00")}}"""
            } + """,{"measures":$usd}]""", t("2026-03-01T00:00:00Z"))
            val failure = batch.failures.single()
            assertEquals("USD-1", failure.customer)
            assertTrue(failure.kind in setOf("currency_mismatch", "validation"), failure.toString())
            assertTrue(failure.detail.contains("USD"), failure.detail)
            assertEquals(50, batch.decisions.count { it.tier == "platinum" })
            assertEquals((1..50).map { "C$it" }, batch.decisions.map { it.customer })
        }
    }

    @Test
    fun `bad policies and facts throw typed exceptions`() {
        val bad = assertThrows<CrmException.InvalidDefinition> {
            ServicePolicy(Policies.SERVICE.replace("\"routing_priority\":2", "\"routing_priority\":0")
                .replace("\"amount\":\"200.00\"", "\"amount\":\"1.00\""))
        }
        assertTrue(bad.problems.any { it.contains("gold") }, bad.problems.toString())
        DecisionTable("""{"name":"d","hit_policy":"first","inputs":[{"name":"n","type":"integer"}],
            "outputs":[{"name":"o","type":"string"}],"rules":[{"id":"A","then":{"o":"x"}}]}""").use { table ->
            assertTrue(table.evaluate("""{"n":{"type":"integer","value":3}}""").contains("\"A\""))
            assertThrows<CrmException.Validation> { table.evaluate("{}") }
            assertThrows<CrmException.Json> { table.evaluate("[1]") }
        }
        CompensationPolicy(Policies.COMPENSATION).use { policy ->
            assertThrows<CrmException.NotFound> {
                policy.decide("""{"id":"X","category":"c","severity":"s"}""",
                    """{"customer":"C1","tier":"diamond","value":{"amount":"1.00","currency":"EUR"}}""",
                    "[]", """{"limit":{"amount":"50.00","currency":"EUR"},"period":{"period":"calendar_month"}}""",
                    t("2026-03-01T00:00:00Z"))
            }
        }
    }
}
