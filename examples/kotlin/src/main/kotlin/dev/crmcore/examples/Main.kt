// The engine from Kotlin: a sale, a broken phone, an entitlement check with its reasons (and
// the yes/no of the hot path), a consume, a repair deadline in business hours, typed records
// (the agreement's line, the usage, the 360 view), an illegal move refused, and replay. Run it
// with Maven (see examples/kotlin/pom.xml).
package dev.crmcore.examples

import dev.crmcore.BusinessDuration
import dev.crmcore.Channel
import dev.crmcore.Crm
import dev.crmcore.CrmCommand
import dev.crmcore.CrmException
import dev.crmcore.LineAction
import dev.crmcore.Meta
import java.time.Instant

fun main() {
    Crm().use { crm ->
        val meta = Meta(Instant.parse("2026-03-02T09:00:00Z"), "shop-12", null, null)
        crm.execute(meta, """{"type":"register_customer","customer":{"id":"C-1","name":"Ada"}}""")
        crm.execute(meta, """{"type":"add_offering","offering":{"id":"MOBILE","name":"Mobile plan",
            "kind":{"type":"service"},"entitlements":[{"code":"device_replacement",
            "kind":{"type":"quota","uses":2,"window":{"type":"rolling_days","days":365}}}]}}""")
        crm.execute(meta, """{"type":"create_agreement","agreement":"AG-1","customer":"C-1",
            "sold_through":{"type":"direct"},"term":{"start":"2026-03-02"},
            "lines":[{"id":"L-1","offering":"MOBILE","quantity":1}],
            "signature":{"channel":"branch","at":"2026-03-02T09:00:00Z"}}""")
        // commands as typed values (or as JSON, as above)
        for (action in listOf(LineAction.REQUEST_ACTIVATION, LineAction.ACTIVATE)) {
            crm.executeCommand(meta, CrmCommand.ChangeLineStatus("AG-1", "L-1", action, null, null, null))
        }
        val line = crm.agreement("AG-1").lines.single()
        println("line ${line.id}: ${line.status} after ${line.history.size - 1} moves")

        // the phone breaks: may the customer have a replacement?
        val request = """{"customer":"C-1","code":"device_replacement","channel":"phone"}"""
        val decision = crm.checkEntitlement(request, Instant.parse("2026-06-01T10:00:00Z"))
        println("${decision.outcome}, ${decision.remaining?.remaining?.toPlainString()} remaining after this one")
        decision.reasons.forEach { println("  - ${it.type}: ${it.message}") }
        // a gateway asking only yes or no gets the same answer, without the reasons
        println("isEntitled: ${crm.isEntitled(request, Instant.parse("2026-06-01T10:00:00Z"))}")
        crm.executeCommand(Meta(Instant.parse("2026-06-01T10:05:00Z"), "desk-3", null, null),
            CrmCommand.ConsumeEntitlement("REQ-1", "C-1", "device_replacement", Channel.PHONE, null, null))
        println("used ${crm.usage("REQ-1").quantity} on ${crm.usage("REQ-1").channel}")
        // the repair is promised within 24 business hours on the shop's calendar
        crm.execute(meta, """{"type":"register_calendar","calendar":{"id":"shop","zone":"Europe/Berlin",
            "week":{"monday":[{"start":"09:00","end":"18:00"}],"tuesday":[{"start":"09:00","end":"18:00"}],
            "wednesday":[{"start":"09:00","end":"18:00"}],"thursday":[{"start":"09:00","end":"18:00"}],
            "friday":[{"start":"09:00","end":"18:00"}]},"holidays":[{"date":"2026-06-04","name":"Corpus Christi"}]}}""")
        crm.businessClock("shop").use { clock ->
            val due = clock.add(Instant.parse("2026-06-01T10:05:00Z"), BusinessDuration(24 * 3600L))
            // Monday 12:05 in Berlin: 5h55 on Monday, 9 h Tuesday and Wednesday, Thursday is a
            // holiday, so the last 5 minutes fall on Friday morning
            check(due == Instant.parse("2026-06-05T07:05:00Z"))
            println("repair due $due (${crm.calendar("shop").holidays.single().name} is closed)")
        }
        val view = crm.customer360("C-1", Instant.parse("2026-06-01T11:00:00Z"), 5)
        println("360: ${view.name}, lines in service ${view.agreements.single().activeLines}, ${view.alerts.size} alerts")

        // an illegal lifecycle move is a typed exception and changes nothing
        try {
            crm.execute(meta, """{"type":"change_line_status","agreement":"AG-1","line":"L-1","action":"install"}""")
        } catch (e: CrmException.InvalidTransition) {
            println("refused: ${e.detail} (state ${e.state}, action ${e.action})")
        }

        // replaying the log rebuilds the same state
        Crm.replay(crm.events()).use { check(it.stateJson() == crm.stateJson()) }
        println("${crm.events().size} events; replay rebuilds the same state")
    }
}
