package dev.crmcore

import java.math.BigDecimal
import java.time.Instant
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** A small world: customer C1, calendar support, offering MOBILE, agreement A1 with active line L1. */
object World {
    fun t(text: String): Instant = Instant.parse(text)
    fun meta(at: String, actor: String = "clerk-1", key: String? = null, expected: Long? = null) =
        Meta(t(at), actor, key, expected)

    const val CALENDAR = """{"type":"register_calendar","calendar":{"id":"support","zone":"Europe/Berlin",
        "week":{"monday":[{"start":"09:00","end":"17:00"}],"tuesday":[{"start":"09:00","end":"17:00"}],
        "wednesday":[{"start":"09:00","end":"17:00"}],"thursday":[{"start":"09:00","end":"17:00"}],
        "friday":[{"start":"09:00","end":"17:00"}]},"holidays":[]}}"""

    const val OFFERING = """{"type":"add_offering","offering":{"id":"MOBILE","name":"Mobile plan",
        "kind":{"type":"service"},"entitlements":[
          {"code":"device_replacement","kind":{"type":"quota","uses":2,"window":{"type":"rolling_days","days":365}}},
          {"code":"support","kind":{"type":"service_level","calendar":"support","targets":[
             {"priority":"normal","response":{"seconds":3600},"resolution":{"seconds":28800}}]}}]}}"""

    fun agreement(id: String = "A1", customer: String = "C1") = """{"type":"create_agreement",
        "agreement":"$id","customer":"$customer","sold_through":{"type":"direct"},
        "term":{"start":"2026-01-01","end":"2027-12-31"},
        "lines":[{"id":"L1","offering":"MOBILE","quantity":1}],
        "signature":{"channel":"branch","at":"2026-01-01T10:00:00Z"}}"""

    fun line(action: String, agreement: String = "A1") =
        """{"type":"change_line_status","agreement":"$agreement","line":"L1","action":"$action"}"""

    fun request(code: String = "device_replacement", customer: String = "C1") =
        """{"customer":"$customer","code":"$code","channel":"phone"}"""

    fun world(): Crm {
        val crm = Crm()
        val at = "2026-01-01T09:00:00Z"
        crm.execute(meta(at), """{"type":"register_customer","customer":{"id":"C1","name":"Customer C1"}}""")
        crm.execute(meta(at), CALENDAR)
        crm.execute(meta(at), OFFERING)
        crm.execute(meta("2026-01-01T10:00:00Z"), agreement())
        crm.execute(meta("2026-01-01T10:05:00Z"), line("request_activation"))
        crm.execute(meta("2026-01-01T10:05:00Z"), line("activate"))
        return crm
    }
}

class EngineTest {
    private val t = World::t

    @Test
    fun `json in, json out, typed events, replay`() {
        Crm().use { crm ->
            val out = crm.executeJson(
                """{"meta":{"at":"2026-03-02T09:00:00Z","actor":"erp","idempotency_key":"req-1"},
                   "command":{"type":"register_customer","customer":{"id":"C-1","name":"Ada"}}}""",
            )
            assertTrue(out.contains("\"customer_registered\""), out)
            val e = crm.events().single()
            assertEquals(1L, e.seq)
            assertEquals("customer/C-1", e.stream)
            assertEquals(1L, e.streamVersion)
            assertEquals(t("2026-03-02T09:00:00Z"), e.at)
            assertEquals("erp", e.actor)
            assertEquals("req-1", e.idempotencyKey)
            assertEquals("customer_registered", e.type)
            assertTrue(e.event.contains("\"Ada\""), e.event)
            assertEquals("Ada", crm.customer("C-1").name)
        }
        World.world().use { crm ->
            val events = crm.events()
            Crm.replay(events).use { again ->
                assertEquals(crm.stateJson(), again.stateJson())
                assertEquals(events, again.events())
            }
            Crm.replayJson(crm.eventsJson()).use { again -> assertEquals(crm.stateJson(), again.stateJson()) }
        }
    }

    @Test
    fun `idempotency keys and expected versions`() {
        World.world().use { crm ->
            val note = """{"type":"amend_agreement","agreement":"A1","reason":"note",
                           "changes":[{"type":"set_note","note":"VIP"}]}"""
            val first = crm.execute(World.meta("2026-01-02T09:00:00Z", key = "k-1"), note)
            val again = crm.execute(World.meta("2026-01-02T10:00:00Z", key = "k-1"), note)
            assertEquals(first, again)
            val other = note.replace("VIP", "x")
            val conflict = assertThrows<CrmException.Conflict> {
                crm.execute(World.meta("2026-01-02T10:00:00Z", key = "k-1"), other)
            }
            assertEquals("k-1", conflict.key)
            val version = first.single().streamVersion
            val stale = assertThrows<CrmException.Conflict> {
                crm.execute(World.meta("2026-01-02T11:00:00Z", expected = version - 1), other)
            }
            assertEquals("agreement/A1", stale.stream)
            assertEquals(version - 1, stale.expected)
            assertEquals(version, stale.actual)
            assertTrue(stale.detail.contains("agreement/A1"), stale.detail)
            crm.execute(World.meta("2026-01-02T11:00:00Z", expected = version), other)
        }
    }

    @Test
    fun `bad input throws a typed exception and changes nothing`() {
        World.world().use { crm ->
            val before = crm.stateJson()
            assertThrows<CrmException.Json> { crm.executeJson("{not json") }
            val unknown = assertThrows<CrmException.Json> {
                crm.execute(World.meta("2026-01-02T09:00:00Z"), """{"type":"launch_rocket"}""")
            }
            assertTrue(unknown.line >= 0 && unknown.detail.isNotEmpty())
            assertThrows<CrmException.Validation> {
                crm.execute(World.meta("2026-01-02T09:00:00Z", expected = -1), World.line("suspend"))
            }
            assertThrows<CrmException.Validation> {
                crm.execute(World.meta("2026-01-02T09:00:00Z", actor = " "), World.line("suspend"))
            }
            val missing = assertThrows<CrmException.NotFound> { crm.customer("C-404") }
            assertEquals("customer", missing.entity)
            assertEquals("C-404", missing.id)
            assertThrows<CrmException.AlreadyExists> {
                crm.execute(World.meta("2026-01-02T09:00:00Z"), World.agreement())
            }
            assertThrows<CrmException.NotFound> {
                crm.execute(World.meta("2026-01-02T09:00:00Z"), World.agreement("A2", "C-404"))
            }
            assertThrows<CrmException.NotFound> { crm.checkEntitlement(World.request(customer = "C-404"), t("2026-02-01T00:00:00Z")) }
            assertThrows<CrmException.Json> { crm.checkEntitlement("""{"customer":"C1"}""", t("2026-02-01T00:00:00Z")) }
            assertThrows<CrmException.NotFound> { crm.processStatus("P-404", t("2026-02-01T00:00:00Z")) }
            assertThrows<CrmException.InvalidDefinition> { processDefinitionBuild("""{"id":"x","name":"x","version":1,"steps":[],"edges":[]}""") }
            assertEquals(before, crm.stateJson())
        }
    }

    @Test
    fun `parties, agreements, exceptions and commitments`() {
        World.world().use { crm ->
            crm.execute(World.meta("2026-01-02T09:00:00Z"),
                """{"type":"register_partner","partner":{"id":"TRAVEL-AG","name":"Sunny Travel","kind":"agent"}}""")
            crm.execute(World.meta("2026-01-02T09:01:00Z"),
                """{"type":"set_consent","customer":"C1","grant":{"purpose":"marketing","channel":"email","granted":false}}""")
            crm.execute(World.meta("2026-01-02T09:02:00Z"),
                """{"type":"update_customer","customer":"C1","name":"Ada L."}""")
            assertEquals("Ada L.", crm.customer("C1").name)
            val bad = assertThrows<CrmException.InvalidTransition> {
                crm.execute(World.meta("2026-01-05T09:00:00Z"), World.line("install"))
            }
            assertEquals("active", bad.state)
            assertEquals("install", bad.action)
            val change = """{"type":"amend_agreement","agreement":"A1","reason":"family",
                             "changes":[{"type":"change_quantity","line":"L1","quantity":2}]"""
            assertThrows<CrmException.ConsentRequired> {
                crm.execute(World.meta("2026-02-01T12:00:00Z"), "$change}")
            }
            crm.execute(World.meta("2026-02-01T12:00:00Z"),
                """$change,"consent":{"channel":"customer_app","at":"2026-02-01T11:59:00Z"}}""")
            assertEquals(2L, crm.agreement("A1").lines[0].quantity)
            assertEquals(1L, crm.agreementAsOf("A1", t("2026-01-15T00:00:00Z")).lines[0].quantity)
            assertEquals(listOf("A1"), crm.agreementsOf("C1").map { it.id })

            crm.execute(World.meta("2026-02-02T09:00:00Z"), """{"type":"make_commitment","commitment":{
                "id":"LOAN-RETURN-1","customer":"C1","agreement":"A1","description":"return the loan device",
                "made_by":{"type":"customer","customer":"C1"},"responsible":{"type":"customer","customer":"C1"},
                "due_at":"2026-02-16T17:00:00Z"}}""")
            val scope = """{"type":"commitment","commitment":"LOAN-RETURN-1"}"""
            crm.execute(World.meta("2026-02-15T10:00:00Z", actor = "supervisor-3"), """{"type":"approve_exception",
                "exception":{"id":"EXT-1","customer":"C1","agreement":"A1","scope":$scope,
                "effect":{"type":"extend","until":"2026-03-02T17:00:00Z"},"approved_by":"supervisor-3",
                "reason":"repair delayed","valid_from":"2026-02-15T10:00:00Z","valid_to":"2026-03-02T17:00:00Z"}}""")
            val extension = crm.exceptionsCovering("C1", scope, t("2026-02-20T00:00:00Z"), "A1").single()
            assertEquals("EXT-1", extension.id)
            assertEquals("commitment", extension.scope)
            assertEquals("extend", extension.effect)
            assertEquals(t("2026-03-02T17:00:00Z"), extension.extendedUntil)
            assertEquals("supervisor-3", extension.approvedBy)
            assertEquals(listOf("LOAN-RETURN-1"), crm.overdueCommitments(t("2026-02-17T00:00:00Z")).map { it.id })
            crm.execute(World.meta("2026-02-21T10:00:00Z"), """{"type":"revoke_exception","exception":"EXT-1","reason":"found"}""")
            assertEquals(emptyList<ApprovedException>(), crm.exceptionsCovering("C1", scope, t("2026-02-22T00:00:00Z"), null))
            crm.execute(World.meta("2026-02-22T10:00:00Z"), """{"type":"keep_commitment","commitment":"LOAN-RETURN-1"}""")
            val kept = crm.commitmentsOf("C1").single()
            assertEquals(CommitmentState.KEPT, kept.state)
            assertEquals(t("2026-02-22T10:00:00Z"), kept.closedAt)
            assertThrows<CrmException.InvalidTransition> {
                crm.execute(World.meta("2026-02-23T10:00:00Z"),
                    """{"type":"break_commitment","commitment":"LOAN-RETURN-1","reason":"late"}""")
            }
        }
    }

    @Test
    fun `entitlements - check, consume, reverse, batch, service level`() {
        World.world().use { crm ->
            val at = t("2026-02-01T10:00:00Z")
            val first = crm.checkEntitlement(World.request(), at)
            assertEquals(DecisionOutcome.GRANTED, first.outcome)
            assertEquals(0, first.quantity.compareTo(BigDecimal.ONE))
            assertEquals("A1", first.matched!!.agreement)
            // story 1: granted, one remains (after this use)
            assertEquals(0, first.remaining!!.remaining.compareTo(BigDecimal.ONE))
            assertEquals(0, first.remaining!!.limit.compareTo(BigDecimal(2)))
            assertTrue(first.reasons.any { it.type == "usage_counted" }, first.reasons.toString())
            assertTrue(first.reasons.all { it.message.isNotEmpty() && it.json.contains("\"type\"") })

            for (n in 1..2) {
                crm.execute(World.meta("2026-02-0${n}T11:00:00Z"),
                    """{"type":"consume_entitlement","usage":"U-$n","request":${World.request()}}""")
            }
            val third = crm.checkEntitlement(World.request(), t("2026-02-03T10:00:00Z"))
            assertEquals(DecisionOutcome.DENIED, third.outcome)
            assertNotNull(third.nextAvailable)
            assertTrue(third.reasons.any { it.type == "limit_reached" })
            val denied = assertThrows<CrmException.NotEntitled> {
                crm.execute(World.meta("2026-02-03T11:00:00Z"),
                    """{"type":"consume_entitlement","usage":"U-3","request":${World.request()}}""")
            }
            assertTrue(denied.reasons.isNotEmpty())
            crm.execute(World.meta("2026-02-03T12:00:00Z"), """{"type":"reverse_usage","usage":"U-2","reason":"cancelled"}""")
            val reversed = crm.usage("U-2")
            assertEquals("cancelled", reversed.reversalReason)
            assertEquals(t("2026-02-03T12:00:00Z"), reversed.reversedAt)
            assertEquals(Channel.PHONE, reversed.channel)
            assertEquals(0, reversed.quantity.compareTo(BigDecimal.ONE))
            assertEquals("L1.device_replacement", first.matched!!.entitlement)
            assertEquals(listOf("U-1", "U-2"), crm.usageOf(first.matched!!.entitlement).map { it.id })

            val batch = crm.checkEntitlements(List(3) { World.request() }, t("2026-02-04T10:00:00Z"))
            assertEquals(3, batch.size)
            assertTrue(batch.all { it.outcome == DecisionOutcome.GRANTED && it.remaining!!.remaining.signum() == 0 })

            val sla = crm.serviceLevel("C1", "support", "normal", t("2026-02-04T10:00:00Z"))
            assertEquals(BusinessDuration(28800), sla.resolution, sla.toString())
            assertEquals(BusinessDuration(3600), sla.response)
            assertEquals("support", sla.calendar)
            assertEquals("L1.support", sla.source.entitlement)
            assertNull(sla.tier)
            val statuses = crm.entitlementsOf("C1", t("2026-02-04T10:00:00Z"), null)
            assertEquals(listOf("device_replacement", "support"), statuses.map { it.code }.sorted())
            val quota = statuses.single { it.code == "device_replacement" }
            assertEquals("quota", quota.kind)
            assertTrue(quota.usable, quota.reasons.toString())
            assertEquals(0, quota.remaining!!.used.compareTo(BigDecimal.ONE), "U-2 was reversed; checks use nothing")
            assertThrows<CrmException.NotEntitled> { crm.serviceLevel("C1", "support", "urgent", t("2026-02-04T10:00:00Z")) }
        }
    }

    @Test
    fun `story 5 - a chat complaint over a weekend with a warm transfer`() {
        World.world().use { crm ->
            val complaint = crm.classifyInteraction("complaint")
            assertTrue("complaint" in complaint.interactionKinds)
            assertEquals(1, complaint.steps.count { it.kind == StepKind.START })
            assertTrue(complaint.edges.any { it.warmTransfer && it.outcome == "transfer" }, complaint.edges.toString())
            val def = complaint.json
            assertTrue(processDefinitionToMermaid(def).contains("flowchart"))
            assertTrue(processDefinitionToDot(def).contains("digraph"))
            assertEquals(def, processDefinitionBuild(def))
            // Friday 16:30 Berlin
            crm.execute(World.meta("2026-03-06T15:30:00Z"), """{"type":"start_process","start":{"instance":"P-1",
                "interaction_kind":"complaint","customer":"C1","agreement":"A1","calendar":"support",
                "interaction":"CHAT-77"}}""")
            fun advance(at: String, outcome: String, performer: String) = crm.execute(World.meta(at),
                """{"type":"advance_process","instance":"P-1","outcome":"$outcome","performer":$performer}""")
            advance("2026-03-06T15:30:00Z", "accepted", """{"type":"handler","name":"intake"}""")
            advance("2026-03-06T15:50:00Z", "transfer", """{"type":"queue","name":"first_line"}""")
            val monday = crm.processStatus("P-1", t("2026-03-09T08:00:00Z"))
            assertEquals(BusinessDuration(1800), monday.resolution!!.used, monday.toString())
            assertEquals(SlaState.ON_TRACK, monday.resolution!!.state)
            advance("2026-03-09T12:00:00Z", "resolved", """{"type":"queue","name":"back_office"}""")
            val instance = crm.processInstance("P-1")
            assertEquals(3L, instance.moves)
            assertEquals(t("2026-03-09T12:00:00Z"), instance.enteredAt)
            assertTrue(instance.json.contains("\"at\":\"2026-03-09T12:00:00Z\""))
            assertEquals("P-1", crm.processOfInteraction("CHAT-77")!!.id)
            assertNull(crm.processOfInteraction("CHAT-0"))
            assertEquals(listOf("P-1"), crm.processesOf("C1").map { it.id })
            val id = Regex("\"id\":\"([^\"]+)\"").find(def)!!.groupValues[1]
            val report = crm.processReport(id)
            assertEquals(1L, report.instances)
            assertEquals(if (instance.endedAt == null) 0L else 1L, report.ended)
            assertEquals(3L, report.moves)
            assertTrue(report.steps.isNotEmpty())
        }
    }

    @Test
    fun `one engine from several threads`() {
        World.world().use { crm ->
            val pool = Executors.newFixedThreadPool(4)
            val jobs = (0 until 4).map { n ->
                pool.submit {
                    for (i in 0 until 25) {
                        crm.execute(World.meta("2026-01-03T09:00:00Z"),
                            """{"type":"register_customer","customer":{"id":"T$n-$i","name":"thread"}}""")
                        crm.checkEntitlement(World.request(), t("2026-01-03T09:00:00Z"))
                    }
                }
            }
            jobs.forEach { it.get() }
            pool.shutdown()
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS))
            val events = crm.events()
            assertEquals((1L..events.size.toLong()).toList(), events.map { it.seq })
            assertEquals(101, events.count { it.type == "customer_registered" })
            Crm.replay(events).use { assertEquals(crm.stateJson(), it.stateJson()) }
        }
    }

    @Test
    fun `an engine over a SQLite file survives closing`() {
        val dir = java.nio.file.Files.createTempDirectory("crm-store")
        val path = dir.resolve("events.sqlite").toString()
        val state = Crm.open(path).use { crm ->
            crm.execute(World.meta("2026-03-02T09:00:00Z"),
                """{"type":"register_customer","customer":{"id":"C-9","name":"Ada"}}""")
            crm.stateJson()
        }
        Crm.open(path).use { again ->
            assertEquals(state, again.stateJson())
            assertEquals(1, again.events().size)
        }
        assertThrows<CrmException.Storage> { Crm.open(dir.toString()) }
    }
}
