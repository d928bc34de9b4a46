package dev.crmcore

import java.math.BigDecimal
import java.time.LocalDate
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * The obligation, policy and interaction command families of the engine end to end through
 * the typed API: story 3 with collections, story 4 and story 5 of DOMAIN.md, and bad input for
 * each family (a typed exception with its fields, and nothing recorded).
 */
class FamiliesTest {
    private val t = World::t

    private fun eur(amount: String) = moneyParse(amount, "EUR")

    private fun assertMoney(expected: String, actual: Money, what: String = "") {
        assertEquals("EUR", actual.currency, what)
        assertEquals(0, actual.amount.compareTo(BigDecimal(expected)), "$what: expected $expected, got ${actual.amount}")
    }

    /** Runs `body`, which must throw `E`, and checks that the engine recorded nothing. */
    private inline fun <reified E : CrmException> refused(crm: Crm, noinline body: () -> Unit): E {
        val state = crm.stateJson()
        val events = crm.events().size
        val e = assertThrows<E>(body)
        assertEquals(state, crm.stateJson(), "a refused command changed the state")
        assertEquals(events, crm.events().size, "a refused command was recorded")
        return e
    }

    // -- story 3 --------------------------------------------------------------------------------

    /** Customer C3 buys a phone in 12 installments and a service plan on 2025-01-01. */
    private fun sold(): Crm {
        val crm = Crm()
        val at = "2025-01-01T10:00:00Z"
        fun run(command: String) = crm.execute(World.meta(at), command)
        run("""{"type":"register_customer","customer":{"id":"C3","name":"Customer C3"}}""")
        run("""{"type":"add_offering","offering":{"id":"PHONE","name":"Phone","kind":{"type":"physical_product"},
            "entitlements":[],"payment_plans":[{"code":"device","payment_type":"sale","schedule":{"type":"installments",
            "total":{"amount":"1200.00","currency":"EUR"},"count":12,"every":{"type":"monthly"},"first_due_after_days":30}}]}}""")
        run("""{"type":"add_offering","offering":{"id":"MOBILE-S","name":"Mobile service","kind":{"type":"service"},
            "entitlements":[{"code":"access","kind":{"type":"access"}}],
            "payment_plans":[{"code":"service","payment_type":"service","schedule":{"type":"recurring",
            "amount":{"amount":"49.90","currency":"EUR"},"every":{"type":"monthly"}}}]}}""")
        run("""{"type":"register_collection_policy","policy":{"name":"standard","steps":[
            {"kind":"reminder","after_days":3},{"kind":"notice","after_days":10},{"kind":"restrict","after_days":21},
            {"kind":"restriction_notice","after_days":22},{"kind":"handover","after_days":45}]}}""")
        run("""{"type":"create_agreement","agreement":"A3","customer":"C3","sold_through":{"type":"direct"},
            "term":{"start":"2025-01-01","end":"2026-12-31"},
            "lines":[{"id":"L-DEV","offering":"PHONE","quantity":1},{"id":"L-SVC","offering":"MOBILE-S","quantity":1}],
            "signature":{"channel":"branch","at":"$at"}}""")
        run("""{"type":"change_line_status","agreement":"A3","line":"L-DEV","action":"install","asset":"IMEI-1"}""")
        run("""{"type":"change_line_status","agreement":"A3","line":"L-SVC","action":"request_activation"}""")
        run("""{"type":"change_line_status","agreement":"A3","line":"L-SVC","action":"activate"}""")
        return crm
    }

    private fun bill(crm: Crm, day: String) =
        crm.execute(World.meta("${day}T06:00:00Z", actor = "billing"), """{"type":"generate_charges","customer":"C3","until":"$day"}""")

    private fun payment(id: String, day: String, amount: String, currency: String = "EUR", customer: String = "C3") =
        """{"type":"record_payment","payment":{"id":"$id","customer_id":"$customer","received_at":"${day}T12:00:00Z",
            "amount":{"amount":"$amount","currency":"$currency"},"method":"bank_transfer","reference":"bank $id"}}"""

    private fun pay(crm: Crm, id: String, day: String, amount: String) =
        crm.execute(World.meta("${day}T12:00:00Z", actor = "bank-import"), payment(id, day, amount))

    /** (line, step, status) of the actions due under the `standard` ladder at `at`. */
    private fun actions(crm: Crm, at: String) = crm.collectionActions("C3", "standard", t(at)).map {
        val status = when (it.status) {
            is ActionStatus.Due -> "due"
            is ActionStatus.Suppressed -> "suppressed"
            is ActionStatus.NotApplicable -> "not_applicable"
        }
        Triple(it.line, it.step, status)
    }

    private fun takeAllDue(crm: Crm, at: String) {
        for (a in crm.collectionActions("C3", "standard", t(at))) {
            if (a.status == ActionStatus.Due) {
                crm.execute(World.meta(at, actor = "collections"),
                    """{"type":"take_collection_action","customer":"C3","policy":"standard","key":"${a.key}"}""")
            }
        }
    }

    private fun access(crm: Crm, at: String) =
        crm.checkEntitlement("""{"customer":"C3","code":"access","channel":"customer_app"}""", t(at))

    @Test
    fun `story 3 - installments, late and partial payments, collections, restriction and reconciliation`() {
        sold().use { crm ->
            assertEquals(listOf("L-DEV.device", "L-SVC.service"), crm.agreement("A3").paymentPlans)
            val plans = crm.paymentPlansOf("C3")
            assertEquals(listOf("L-DEV.device", "L-SVC.service"), plans.map { it.id })
            assertEquals(listOf("sale", "service"), plans.map { it.paymentType })
            assertEquals(listOf("installments", "recurring"), plans.map { it.periodicity })
            assertEquals(listOf("L-DEV", "L-SVC"), plans.map { it.line })
            bill(crm, "2025-12-31")
            val device = crm.statement("C3", """{"type":"plan","plan_id":"L-DEV.device"}""")
            assertEquals(12, device.charges.size)
            assertMoney("1200.00", device.charged, "the installments sum exactly")
            assertEquals(
                listOf("2025-01-31", "2025-02-28", "2025-03-31").map(LocalDate::parse),
                device.charges.take(3).map { it.dueDate },
                "month-end anchored",
            )
            assertTrue(device.charges.all { it.plan == "L-DEV.device" && it.line == "L-DEV" && it.agreement == "A3" })
            assertTrue(bill(crm, "2025-12-31").isEmpty(), "billing again records nothing")
        }

        sold().use { crm ->
            bill(crm, "2025-01-31")
            pay(crm, "PAY1", "2025-01-01", "49.90")
            pay(crm, "PAY2", "2025-01-31", "100.00")
            assertMoney("0.00", crm.balance("C3"))

            // February's service is paid 19 days late: a reminder on day 3, proposed once
            bill(crm, "2025-02-20")
            assertEquals(listOf(Triple("L-SVC", CollectionStepKind.REMINDER, "due")), actions(crm, "2025-02-05T09:00:00Z"))
            val reminder = crm.collectionActions("C3", "standard", t("2025-02-05T09:00:00Z")).single()
            assertEquals(CollectionTarget.Line("A3", "L-SVC"), reminder.target)
            assertEquals(LineStatus.ACTIVE, reminder.lineStatus)
            assertEquals(4L, reminder.daysPastDue)
            assertEquals(LocalDate.parse("2025-02-01"), reminder.oldestDueDate)
            assertMoney("49.90", reminder.overdueAmount)
            assertTrue(reminder.reason.isNotEmpty())
            takeAllDue(crm, "2025-02-05T09:00:00Z")
            assertEquals(emptyList<Any>(), actions(crm, "2025-02-06T09:00:00Z"), "a taken action is not proposed again")
            pay(crm, "PAY3", "2025-02-20", "49.90")

            // March 12: the device (Feb 28) and the service (Mar 1) are unpaid
            bill(crm, "2025-03-12")
            val aging = crm.aging("C3", LocalDate.parse("2025-03-12"), 5, null)
            assertMoney("149.90", aging.days130)
            assertMoney("149.90", aging.overdue)
            assertEquals(5L, aging.graceDays)
            assertEquals(LocalDate.parse("2025-02-28"), aging.oldestOverdueDueDate)
            assertEquals(
                listOf(
                    Triple("L-DEV", CollectionStepKind.REMINDER, "due"),
                    Triple("L-DEV", CollectionStepKind.NOTICE, "not_applicable"),
                    Triple("L-SVC", CollectionStepKind.REMINDER, "due"),
                    Triple("L-SVC", CollectionStepKind.NOTICE, "due"),
                ),
                actions(crm, "2025-03-12T09:00:00Z"),
            )
            takeAllDue(crm, "2025-03-12T09:00:00Z")

            // March 20: a partial payment settles the device installment first
            val paid = pay(crm, "PAY4", "2025-03-20", "100.00").single()
            assertEquals("payment_recorded", paid.type)
            assertTrue(paid.event.contains("L-DEV.device#2"), paid.event)

            // March 22: day 21 of the service: restrict it, and the entitlement check sees it
            assertEquals(DecisionOutcome.GRANTED, access(crm, "2025-03-22T09:00:00Z").outcome)
            assertEquals(listOf(Triple("L-SVC", CollectionStepKind.RESTRICT, "due")), actions(crm, "2025-03-22T09:00:00Z"))
            takeAllDue(crm, "2025-03-22T09:00:00Z")
            val line = crm.agreement("A3").lines.single { it.id == "L-SVC" }
            assertEquals(LineStatus.RESTRICTED, line.status)
            assertEquals(LineAction.RESTRICT, line.history.last().action)
            val denied = access(crm, "2025-03-22T10:00:00Z")
            assertEquals(DecisionOutcome.DENIED, denied.outcome)
            assertTrue(denied.reasons.any { it.message.contains("line L-SVC restricted since 2025-03-22") }, denied.reasons.toString())
            assertEquals(listOf(Triple("L-SVC", CollectionStepKind.RESTRICTION_NOTICE, "due")), actions(crm, "2025-03-23T09:00:00Z"))
            takeAllDue(crm, "2025-03-23T09:00:00Z")

            // April 2: aging and the reconciliation of March
            bill(crm, "2025-04-02")
            val april = crm.aging("C3", LocalDate.parse("2025-04-02"), 0, null)
            assertMoney("49.90", april.days3160)
            assertMoney("149.90", april.days130)
            val march = crm.reconcile("C3", LocalDate.parse("2025-03-01"), LocalDate.parse("2025-03-31"), LocalDate.parse("2025-04-02"), null)
            assertMoney("149.90", march.due)
            assertMoney("149.90", march.missing)
            assertFalse(march.allReceived)
            assertEquals(LocalDate.parse("2025-03-01"), march.unpaid.first().unpaidSince)

            // April 5: the rest arrives; the ladder stops, the restriction is lifted
            pay(crm, "PAY5", "2025-04-05", "199.80")
            assertMoney("0.00", crm.balance("C3"))
            assertEquals(emptyList<Any>(), actions(crm, "2025-04-06T09:00:00Z"))
            crm.execute(World.meta("2025-04-06T09:00:00Z"),
                """{"type":"change_line_status","agreement":"A3","line":"L-SVC","action":"lift_restriction"}""")
            assertEquals(DecisionOutcome.GRANTED, access(crm, "2025-04-06T10:00:00Z").outcome)
            val settled = crm.reconcile("C3", LocalDate.parse("2025-03-01"), LocalDate.parse("2025-03-31"), LocalDate.parse("2025-04-06"), null)
            assertTrue(settled.allReceived)
            assertEquals(emptyList<UnpaidCharge>(), settled.unpaid)

            val view = crm.customer360("C3", t("2025-04-06T10:00:00Z"), 5)
            assertMoney("0.00", view.money!!.balance)
            assertEquals(LineStatus.ACTIVE, view.agreements.single().lines.single { it.line == "L-SVC" }.status)
            assertEquals(listOf("L-DEV", "L-SVC"), view.agreements.single().activeLines.sorted())
            val entitlement = view.entitlements.single()
            assertEquals("access", entitlement.code)
            assertEquals("access", entitlement.kind)
            assertEquals("L-SVC", entitlement.source.line)
            assertTrue(entitlement.usable, entitlement.reasons.toString())
            Crm.replay(crm.events()).use { again -> assertEquals(crm.stateJson(), again.stateJson()) }
        }
    }

    @Test
    fun `bad obligation commands are typed exceptions and record nothing`() {
        sold().use { crm ->
            bill(crm, "2025-02-28")
            val at = World.meta("2025-03-01T12:00:00Z")
            val usd = refused<CrmException.CurrencyMismatch>(crm) { crm.execute(at, payment("P-USD", "2025-03-01", "10.00", "USD")) }
            assertEquals(setOf("EUR", "USD"), setOf(usd.left, usd.right))
            val negative = refused<CrmException.Validation>(crm) { crm.execute(at, payment("P-NEG", "2025-03-01", "-5.00")) }
            assertTrue(negative.detail.isNotEmpty())
            val nobody = refused<CrmException.NotFound>(crm) { crm.execute(at, payment("P-Z", "2025-03-01", "10.00", customer = "NOBODY")) }
            assertEquals("NOBODY", nobody.id)
            refused<CrmException.NotFound>(crm) {
                crm.execute(at, """{"type":"reverse_payment","customer":"C3","payment":"NOPE","reason":"bounced"}""")
            }
            val key = refused<CrmException.NotFound>(crm) {
                crm.execute(at, """{"type":"take_collection_action","customer":"C3","policy":"standard","key":"nope"}""")
            }
            assertTrue(key.detail.isNotEmpty())
            refused<CrmException.NotFound>(crm) { crm.collectionActions("C3", "lenient", t("2025-03-01T12:00:00Z")) }
            refused<CrmException.Json>(crm) { crm.execute(at, """{"type":"record_payment","payment":{"id":"P-1"}}""") }
            refused<CrmException.Validation>(crm) { crm.aging("C3", LocalDate.parse("2025-03-01"), -1, null) }
            refused<CrmException.Validation>(crm) {
                crm.reconcile("C3", LocalDate.parse("2025-03-31"), LocalDate.parse("2025-03-01"), LocalDate.parse("2025-04-01"), null)
            }
            refused<CrmException.Json>(crm) { crm.statement("C3", """{"type":"galaxy"}""") }
        }
    }

    // -- story 4 --------------------------------------------------------------------------------

    private val policies = """{"type":"register_policies","policies":{"tiering":${Policies.TIERING},
        "service":${Policies.SERVICE},"compensation":${Policies.COMPENSATION}}}"""

    private fun complaint(crm: Crm, id: String, customer: String, at: String, instance: String?) {
        val start = instance?.let { ""","start_process":{"instance":"$it","calendar":"support"}""" } ?: ""
        crm.execute(World.meta(at, actor = "chat-gateway"), """{"type":"record_interaction","interaction":{"id":"$id",
            "customer":"$customer","channel":"chat","direction":"inbound","kind":"complaint","started_at":"$at","answered_at":"$at",
            "summary":"the invoice looks doubled","queue":"first_line"}$start}""")
    }

    @Test
    fun `story 4 - low revenue, large potential - gold through the engine, and its shorter SLA`() {
        Crm().use { crm ->
            val at = "2026-03-02T09:00:00Z"
            crm.execute(World.meta(at), World.CALENDAR)
            for (c in listOf("SMB-1", "SMB-2")) {
                crm.execute(World.meta(at), """{"type":"register_customer","customer":{"id":"$c","name":"Small business $c"}}""")
            }
            crm.execute(World.meta(at, actor = "admin"), policies)
            crm.execute(World.meta(at), """{"type":"set_customer_facts","customer":"SMB-1",
                "facts":{"potential":{"amount":"250000.00","currency":"EUR"},"churn_risk":"0.1"}}""")
            val changed = crm.execute(World.meta("2026-03-02T10:00:00Z"), """{"type":"assign_tiers","customers":["SMB-1"]}""")
            assertEquals(listOf("tier_changed"), changed.map { it.type })
            val tier = crm.tierOf("SMB-1")
            assertNotNull(tier)
            assertEquals("gold", tier!!.to)
            assertNull(tier.from)
            assertEquals("R3", tier.rule)
            assertTrue(tier.reasons.isNotEmpty())
            assertNull(crm.tierOf("SMB-2"))

            val view = crm.customer360("SMB-1", t("2026-03-02T11:00:00Z"), 5)
            assertEquals("gold", view.tier!!.tier)
            assertEquals("R3", view.tier!!.rule)
            assertFalse(view.tier!!.baseline)
            assertEquals(t("2026-03-02T10:00:00Z"), view.tier!!.since)
            val baseline = crm.customer360("SMB-2", t("2026-03-02T11:00:00Z"), 5).tier!!
            assertTrue(baseline.baseline)
            assertEquals("standard", baseline.tier)

            // the same complaint, a shorter resolution target for the gold customer
            complaint(crm, "CHAT-G", "SMB-1", "2026-03-03T09:00:00Z", "CASE-G")
            complaint(crm, "CHAT-S", "SMB-2", "2026-03-03T09:00:00Z", "CASE-S")
            val gold = crm.processStatus("CASE-G", t("2026-03-03T10:00:00Z")).resolution!!
            val standard = crm.processStatus("CASE-S", t("2026-03-03T10:00:00Z")).resolution!!
            assertEquals(BusinessDuration(14400), gold.target)
            assertTrue(gold.target.seconds < standard.target.seconds, "$gold vs $standard")
            assertEquals(SlaState.ON_TRACK, gold.state)
            assertEquals(BusinessDuration(3600), gold.used)
            assertTrue(gold.deadline.isBefore(standard.deadline))

            // compensation under the policy: 20.00 for a broken commitment, once
            val grant = crm.execute(World.meta("2026-03-03T12:00:00Z"), """{"type":"grant_compensation","customer":"SMB-1",
                "complaint":{"id":"CHAT-G","category":"callback","severity":"low","commitment_broken":true}}""").single()
            assertEquals("compensation_granted", grant.type)
            assertMoney("-20.00", crm.balance("SMB-1"), "the credit reaches the ledger")
            val granted = crm.compensationsOf("SMB-1").single()
            assertEquals("CHAT-G", granted.complaint)
            assertMoney("20.00", granted.credit!!)
            assertEquals("C1", granted.rule)
            assertNull(granted.approvedBy)
        }
    }

    @Test
    fun `the engine's ledger and policy queries answer as Python's do, and record nothing`() {
        sold().use { crm ->
            bill(crm, "2025-03-12")
            pay(crm, "PAY1", "2025-01-01", "49.90")
            val version = crm.streamVersion("ledger/C3")
            assertTrue(version > 0)
            assertEquals(0L, crm.streamVersion("ledger/NOBODY"))
            val events = crm.events().size
            val plan = crm.paymentPlan("L-DEV.device")
            assertEquals("L-DEV", plan.line)
            assertEquals("installments", plan.periodicity)
            assertTrue(crm.collectionPolicy("standard").contains("\"restrict\""))
            assertTrue(crm.standing("C3", t("2025-03-12T09:00:00Z")).contains("\"days_overdue\":"))
            assertEquals("[]", crm.settledRestrictions("C3", t("2025-03-12T09:00:00Z")))
            val all = crm.reconcileAll(LocalDate.parse("2025-01-01"), LocalDate.parse("2025-03-31"), LocalDate.parse("2025-03-12"))
            assertTrue(all.startsWith("[[\"C3\","), all)
            // the ledger is a copy: paying into it changes nothing in the engine
            val copy = crm.ledger("C3")!!
            copy.use {
                assertEquals(crm.balance("C3"), it.balance())
                it.recordPayment(
                    """{"id":"PAY-COPY","customer_id":"C3","received_at":"2025-03-12T12:00:00Z",
                    "amount":{"amount":"10.00","currency":"EUR"},"method":"bank_transfer","reference":"copy"}""",
                )
                assertNotEquals(crm.balance("C3"), it.balance())
            }
            assertEquals(crm.events().size, events)
            assertEquals(version, crm.streamVersion("ledger/C3"))
            assertThrows<CrmException.NotFound> { crm.paymentPlan("L-NONE.plan") }
            assertThrows<CrmException.NotFound> { crm.collectionPolicy("none") }
            assertThrows<CrmException.Validation> { crm.standing("", t("2025-03-12T09:00:00Z")) }
        }
        Crm().use { crm ->
            val at = "2026-03-02T09:00:00Z"
            crm.execute(World.meta(at), World.CALENDAR)
            crm.execute(World.meta(at), """{"type":"register_customer","customer":{"id":"SMB-1","name":"Small business"}}""")
            assertThrows<CrmException.NotFound> { crm.assignTier("SMB-1", t(at)) }
            crm.execute(World.meta(at, actor = "admin"), policies)
            crm.execute(World.meta(at), """{"type":"set_customer_facts","customer":"SMB-1",
                "facts":{"potential":{"amount":"250000.00","currency":"EUR"},"churn_risk":"0.1"}}""")
            val events = crm.events().size
            assertTrue(crm.customerMeasures("SMB-1", t(at)).contains("\"potential\""))
            val decision = crm.assignTier("SMB-1", t(at))
            assertEquals("gold", decision.tier)
            assertEquals("R3", decision.rule)
            val batch = crm.assignTiers(listOf("SMB-1", "C-404"), t(at))
            assertEquals(listOf("gold"), batch.decisions.map { it.tier })
            assertEquals(1, batch.failures.size)
            val comp = crm.decideCompensation("SMB-1",
                """{"id":"X","category":"callback","severity":"low","commitment_broken":true}""", t(at))
            // the customer's recorded tier counts, and no AssignTiers has recorded one yet
            assertEquals("standard", comp.tier)
            assertMoney("20.00", comp.credit!!)
            assertEquals(events, crm.events().size, "queries record nothing")
            assertNull(crm.tierOf("SMB-1"))
            assertThrows<CrmException.NotFound> { crm.customerMeasures("C-404", t(at)) }
        }
    }

    @Test
    fun `bad policy commands are typed exceptions and record nothing`() {
        Crm().use { crm ->
            val at = World.meta("2026-03-02T09:00:00Z")
            crm.execute(at, """{"type":"register_customer","customer":{"id":"SMB-1","name":"Small business"}}""")
            val none = refused<CrmException.NotFound>(crm) { crm.execute(at, """{"type":"assign_tiers","customers":[]}""") }
            assertTrue(none.detail.isNotEmpty())
            // a policy set is checked while the command is decoded: a JSON error that says why
            val bad = refused<CrmException.Json>(crm) {
                crm.execute(at, policies.replace("\"routing_priority\":2", "\"routing_priority\":0")
                    .replace("\"amount\":\"200.00\"", "\"amount\":\"1.00\""))
            }
            assertTrue(bad.reason.contains("gold"), bad.reason)
            crm.execute(at, policies)
            refused<CrmException.Validation>(crm) {
                crm.execute(at, """{"type":"set_customer_facts","customer":"SMB-1","facts":{"churn_risk":"1.5"}}""")
            }
            val unknown = refused<CrmException.NotFound>(crm) {
                crm.execute(at, """{"type":"set_customer_facts","customer":"NOBODY","facts":{}}""")
            }
            assertEquals("NOBODY", unknown.id)
            val comp = """{"type":"grant_compensation","customer":"SMB-1",
                "complaint":{"id":"CHAT-1","category":"callback","severity":"low","commitment_broken":true}}"""
            crm.execute(at, comp)
            val twice = refused<CrmException.AlreadyExists>(crm) { crm.execute(at, comp) }
            assertEquals("CHAT-1", twice.id)
        }
    }

    // -- story 5 and the interaction family -----------------------------------------------------

    @Test
    fun `story 5 - a chat complaint on Friday afternoon, resolved on Monday within the SLA`() {
        World.world().use { crm ->
            // Friday 16:30 in Berlin; the support calendar works 09:00 to 17:00 on weekdays
            complaint(crm, "CHAT-77", "C1", "2026-03-06T15:30:00Z", "P-1")
            val process = crm.processOfInteraction("CHAT-77")!!
            assertEquals("P-1", process.id)
            assertEquals("C1", process.customer)
            assertEquals(t("2026-03-06T15:30:00Z"), process.startedAt)
            assertNull(process.endedAt)
            val friday = crm.processStatus("P-1", t("2026-03-06T16:00:00Z"))
            val monday = crm.processStatus("P-1", t("2026-03-09T08:00:00Z"))
            assertEquals(process.step, monday.step)
            assertFalse(monday.ended)
            assertEquals(BusinessDuration(1800), friday.resolution!!.used, "30 business minutes on Friday")
            assertEquals(friday.resolution!!.used, monday.resolution!!.used, "the weekend does not count")

            crm.execute(World.meta("2026-03-06T15:50:00Z", actor = "chat-gateway"), """{"type":"update_interaction",
                "interaction":"CHAT-77","update":{"ended_at":"2026-03-06T15:45:00Z","outcome":"transferred_warm",
                "feedback":{"csat":4,"nps":9},"sentiment":"-0.25"}}""")
            val chat = crm.interaction("CHAT-77")
            assertEquals(Channel.CHAT, chat.channel)
            assertEquals(Direction.INBOUND, chat.direction)
            assertEquals(InteractionOutcome.TRANSFERRED_WARM, chat.outcome)
            assertEquals(4L, chat.csat)
            assertEquals(9L, chat.nps)
            assertEquals(0, chat.sentiment!!.compareTo(BigDecimal("-0.25")))
            assertEquals(t("2026-03-06T15:45:00Z"), chat.endedAt)
            assertEquals("P-1", chat.process)
            assertEquals("first_line", chat.queue)

            // a second complaint recorded without a process: the audit flags it
            complaint(crm, "CALL-5", "C1", "2026-03-09T09:30:00Z", null)
            assertEquals(listOf("CALL-5", "CHAT-77"), crm.interactionsOf("C1", 10).map { it.id }, "newest first")
            val findings = crm.audit("C1", t("2026-03-09T10:00:00Z"))
            val orphan = findings.single { it.kind == FindingKind.COMPLAINT_WITHOUT_PROCESS }
            assertEquals(Severity.WARNING, orphan.severity)
            assertEquals(EntityRef("interaction", "CALL-5"), orphan.ids.first())
            assertTrue(orphan.what.isNotEmpty() && orphan.contradicts.isNotEmpty())

            val view = crm.customer360("C1", t("2026-03-09T10:00:00Z"), 1)
            assertEquals(listOf("CALL-5"), view.interactions.map { it.id })
            assertEquals(listOf("P-1"), view.openProcesses.map { it.status.instance })
            assertEquals(findings, view.alerts)
            val measures = crm.serviceMeasures(t("2026-03-01T00:00:00Z"), t("2026-03-10T00:00:00Z"), null)
            assertEquals(2L, measures.contacts)
            assertEquals(2L, measures.inbound)
            assertEquals(1L, measures.transferredWarm)
            assertEquals(1L, measures.csatResponses)
            assertEquals(0, measures.csatAverage!!.compareTo(BigDecimal(4)))
            assertEquals(1L, measures.npsPromoters)
            assertEquals(0, measures.averageSentiment!!.compareTo(BigDecimal("-0.25")))
        }
    }

    @Test
    fun `bad interaction commands are typed exceptions and record nothing`() {
        World.world().use { crm ->
            val at = World.meta("2026-03-06T16:00:00Z")
            complaint(crm, "CHAT-1", "C1", "2026-03-06T15:30:00Z", null)
            val twice = refused<CrmException.AlreadyExists>(crm) { complaint(crm, "CHAT-1", "C1", "2026-03-06T15:30:00Z", null) }
            assertEquals("CHAT-1", twice.id)
            val consent = refused<CrmException.ConsentRequired>(crm) {
                crm.execute(at, """{"type":"record_interaction","interaction":{"id":"OUT-1","customer":"C1","channel":"phone",
                    "direction":"outbound","purpose":"marketing","kind":"offer","started_at":"2026-03-06T15:00:00Z",
                    "summary":"an offer"}}""")
            }
            assertTrue(consent.what.isNotEmpty(), consent.toString())
            val missing = refused<CrmException.NotFound>(crm) {
                crm.execute(at, """{"type":"update_interaction","interaction":"CHAT-404","update":{"outcome":"abandoned"}}""")
            }
            assertEquals("CHAT-404", missing.id)
            refused<CrmException.Validation>(crm) {
                crm.execute(at, """{"type":"update_interaction","interaction":"CHAT-1","update":{"sentiment":"1.5"}}""")
            }
            refused<CrmException.Validation>(crm) {
                crm.execute(at, """{"type":"update_interaction","interaction":"CHAT-1","update":{"feedback":{"csat":99}}}""")
            }
            refused<CrmException.Json>(crm) {
                crm.execute(at, """{"type":"record_interaction","interaction":{"id":"X","channel":"carrier_pigeon"}}""")
            }
            refused<CrmException.NotFound>(crm) { crm.interaction("CHAT-404") }
            refused<CrmException.Validation>(crm) { crm.interactionsOf("C1", -1) }
            refused<CrmException.NotFound>(crm) { crm.audit("C-404", t("2026-03-06T16:00:00Z")) }
        }
    }

    // -- typed commands -------------------------------------------------------------------------

    @Test
    fun `typed commands record exactly what their JSON records`() {
        fun both(typed: Crm, json: Crm, at: String, command: CrmCommand, text: String) {
            val a = typed.executeCommand(World.meta(at), command)
            val b = json.execute(World.meta(at), text)
            assertEquals(b, a, text)
            assertTrue(a.isNotEmpty() || text.contains("generate_charges"), text)
        }
        sold().use { typed ->
            sold().use { json ->
                both(typed, json, "2025-01-31T06:00:00Z", CrmCommand.GenerateCharges("C3", LocalDate.parse("2025-02-20")),
                    """{"type":"generate_charges","customer":"C3","until":"2025-02-20"}""")
                both(typed, json, "2025-01-31T12:00:00Z",
                    CrmCommand.RecordPayment("PAY1", "C3", t("2025-01-31T12:00:00Z"), eur("149.80"), PaymentMethod.BANK_TRANSFER, "bank PAY1"),
                    payment("PAY1", "2025-01-31", "149.80"))
                val key = typed.collectionActions("C3", "standard", t("2025-02-05T09:00:00Z")).first { it.status == ActionStatus.Due }.key
                both(typed, json, "2025-02-05T09:00:00Z", CrmCommand.TakeCollectionAction("C3", "standard", key),
                    """{"type":"take_collection_action","customer":"C3","policy":"standard","key":"$key"}""")
                both(typed, json, "2025-02-06T09:00:00Z", CrmCommand.ChangeLineStatus("A3", "L-SVC", LineAction.SUSPEND, null, null, null),
                    """{"type":"change_line_status","agreement":"A3","line":"L-SVC","action":"suspend"}""")
                both(typed, json, "2025-02-06T09:00:00Z", CrmCommand.RegisterCustomer("C4", "Customer C4"),
                    """{"type":"register_customer","customer":{"id":"C4","name":"Customer C4"}}""")
                assertEquals(json.stateJson(), typed.stateJson())
            }
        }
        World.world().use { typed ->
            World.world().use { json ->
                for (crm in listOf(typed, json)) {
                    crm.execute(World.meta("2026-02-02T09:00:00Z", actor = "admin"), policies)
                    complaint(crm, "CHAT-1", "C1", "2026-02-02T09:00:00Z", null)
                    for (id in listOf("PR-1", "PR-2")) {
                        crm.execute(World.meta("2026-02-02T09:10:00Z"), """{"type":"make_commitment","commitment":{
                            "id":"$id","customer":"C1","description":"call back","made_by":{"type":"employee","employee":"agent-7"},
                            "responsible":{"type":"organisation","unit":"back office"},"due_at":"2026-02-05T17:00:00Z"}}""")
                    }
                }
                val at = "2026-02-03T09:00:00Z"
                both(typed, json, at, CrmCommand.ConsumeEntitlement("U-1", "C1", "device_replacement", Channel.PHONE, null, null),
                    """{"type":"consume_entitlement","usage":"U-1","request":{"customer":"C1","code":"device_replacement","channel":"phone"}}""")
                both(typed, json, at, CrmCommand.KeepCommitment("PR-1"), """{"type":"keep_commitment","commitment":"PR-1"}""")
                both(typed, json, at, CrmCommand.BreakCommitment("PR-2", "forgot"),
                    """{"type":"break_commitment","commitment":"PR-2","reason":"forgot"}""")
                both(typed, json, at,
                    CrmCommand.UpdateInteraction("CHAT-1", t("2026-02-02T09:20:00Z"), InteractionOutcome.RESOLVED_FIRST_CONTACT, 5, 10, BigDecimal("0.5")),
                    """{"type":"update_interaction","interaction":"CHAT-1","update":{"ended_at":"2026-02-02T09:20:00Z",
                        "outcome":"resolved_first_contact","feedback":{"csat":5,"nps":10},"sentiment":"0.5"}}""")
                both(typed, json, at, CrmCommand.AssignTiers(listOf("C1")), """{"type":"assign_tiers","customers":["C1"]}""")
                assertEquals(json.stateJson(), typed.stateJson())
                assertEquals(InteractionOutcome.RESOLVED_FIRST_CONTACT, typed.interaction("CHAT-1").outcome)
            }
        }
    }

    @Test
    fun `bad typed commands are typed exceptions and record nothing`() {
        sold().use { crm ->
            bill(crm, "2025-01-31")
            val at = World.meta("2025-02-01T09:00:00Z")
            val id = refused<CrmException.Validation>(crm) { crm.executeCommand(at, CrmCommand.RegisterCustomer(" C5", "x")) }
            assertEquals(" C5", id.value)
            val usd = refused<CrmException.CurrencyMismatch>(crm) {
                crm.executeCommand(at, CrmCommand.RecordPayment("P-USD", "C3", t("2025-02-01T09:00:00Z"),
                    moneyParse("10.00", "USD"), PaymentMethod.CARD, "card"))
            }
            assertEquals(setOf("EUR", "USD"), setOf(usd.left, usd.right))
            val move = refused<CrmException.InvalidTransition>(crm) {
                crm.executeCommand(at, CrmCommand.ChangeLineStatus("A3", "L-DEV", LineAction.ACTIVATE, null, null, null))
            }
            assertEquals("L-DEV", move.id)
            refused<CrmException.NotFound>(crm) { crm.executeCommand(at, CrmCommand.KeepCommitment("PR-404")) }
            refused<CrmException.NotFound>(crm) {
                crm.executeCommand(at, CrmCommand.UpdateInteraction("CHAT-404", null, InteractionOutcome.ABANDONED, null, null, null))
            }
            refused<CrmException.NotFound>(crm) { crm.executeCommand(at, CrmCommand.AssignTiers(emptyList())) }
            val code = refused<CrmException.NotFound>(crm) {
                crm.executeCommand(at, CrmCommand.ConsumeEntitlement("U-1", "C3", "no_such_code", Channel.PHONE, null, null))
            }
            assertTrue(code.detail.contains("no_such_code"), code.detail)
        }
    }
}
