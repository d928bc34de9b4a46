// A small Swift test of the generated binding. crm-ffi/swift/check.sh compiles it together with
// the generated CrmCore.swift when a Swift toolchain is on PATH.
import Foundation

func check(_ condition: Bool, _ what: String) {
    if !condition {
        print("FAILED: \(what)")
        exit(1)
    }
}

let total = try moneyNew(amount: Decimal(string: "100")!, currency: "EUR")
let parts = try moneySplit(money: total, parts: 3)
check(parts.map { "\($0.amount)" } == ["33.34", "33.33", "33.33"], "split puts the odd cent first")

do {
    _ = try moneyAdd(a: total, b: try moneyNew(amount: Decimal(1), currency: "USD"))
    check(false, "mixed currencies must throw")
} catch let CrmError.CurrencyMismatch(left, right, detail) {
    check(left == "EUR" && right == "USD", "mismatch carries both codes")
    check(detail.contains("EUR") && detail.contains("USD"), "detail is the core's message")
}

do {
    try diagnosticPanic(message: "boom")
    check(false, "a panic must throw")
} catch let CrmError.Internal(reason) {
    check(reason.contains("boom"), "a panic arrives as CrmError.Internal")
}

let tally = try MoneyTally(currency: "EUR")
_ = try tally.add(amount: total)
check(try tally.total().amount == Decimal(100), "tally total")

let crm = Crm()
let at = Date(timeIntervalSince1970: 1_767_258_000)  // 2026-01-01T09:00:00Z
let events = try crm.execute(meta: Meta(at: at, actor: "erp", idempotencyKey: nil, expectedVersion: nil),
                             command: #"{"type":"register_customer","customer":{"id":"C1","name":"Ada"}}"#)
check(events.count == 1 && events[0].type == "customer_registered", "execute returns typed events")
check(try Crm.replay(events: crm.events()).stateJson() == crm.stateJson(), "replay rebuilds the state")
let ada = try crm.customer(id: "C1")
check(ada.id == "C1" && ada.name == "Ada", "a customer comes back as a typed record")
let grace = try crm.executeCommand(meta: Meta(at: at, actor: "erp", idempotencyKey: nil, expectedVersion: nil),
                                   command: .registerCustomer(id: "C2", name: "Grace"))
check(grace.count == 1 && grace[0].stream == "customer/C2", "a typed command records its event")
let view = try crm.customer360(customer: "C1", at: at, lastN: 5)
check(view.name == "Ada" && view.agreements.isEmpty && view.money == nil, "the 360 view is a typed record")
do {
    _ = try crm.customer(id: "C-404")
    check(false, "an unknown customer must throw")
} catch let CrmError.NotFound(entity, id, _) {
    check(entity == "customer" && id == "C-404", "not found carries entity and id")
}

// the yes/no of an entitlement check: C1 has no agreement, so no such entitlement
do {
    _ = try crm.isEntitled(request: #"{"customer":"C1","code":"ticket","channel":"phone"}"#, at: at)
    check(false, "an entitlement the customer lacks must throw")
} catch CrmError.NotFound(_, let entity, _) {
    check(entity == "entitlement", "isEntitled says NotFound like checkEntitlement")
}

// business-hours arithmetic: Friday 16:30 Berlin + 4 h is Monday 12:30 Berlin (11:30 UTC)
let day = #"[{"start":"09:00","end":"17:00"}]"#
let clock = try BusinessClock(calendar: #"{"id":"support","zone":"Europe/Berlin","holidays":[],"week":{"#
    + ["monday", "tuesday", "wednesday", "thursday", "friday"].map { "\"\($0)\":\(day)" }.joined(separator: ",") + "}}")
let friday = Date(timeIntervalSince1970: 1_772_811_000)  // 2026-03-06T15:30:00Z
let deadline = try clock.add(at: friday, duration: BusinessDuration(seconds: 4 * 3600))
check(deadline == Date(timeIntervalSince1970: 1_773_055_800), "a deadline skips the weekend")
check(try clock.between(start: friday, end: deadline) == BusinessDuration(seconds: 4 * 3600), "between undoes add")

// a process stepped in memory; an outcome the step lacks is an InvalidTransition
let ticket = #"{"id":"ticket","name":"Ticket","version":1,"steps":[{"id":"triage","name":"Triage","action":"read","kind":"start","performer":{"type":"queue","name":"first_line"}},{"id":"closed","name":"Closed","action":"close","kind":"end","performer":{"type":"queue","name":"first_line"}}],"edges":[{"from":"triage","outcome":"done","to":"closed"}]}"#
let runner = try ProcessRunner(definition: ticket, calendar: clock, instance: "P-1", customer: "C1", at: friday)
do {
    _ = try runner.advance(outcome: "nope", at: friday, performer: .queue(name: "first_line"))
    check(false, "an unknown outcome must throw")
} catch CrmError.InvalidTransition(_, _, let id, _, _) {
    check(id == "P-1", "the refused move names the instance")
}
let move = try runner.advance(outcome: "done", at: deadline, performer: .queue(name: "first_line"))
let ended = try runner.ended()
check(move.to == "closed" && ended, "the runner records the move")

print("Swift: 13 passed, 0 failed")
