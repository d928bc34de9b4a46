#!/usr/bin/env bash
# Generates the Swift binding (source, C header, modulemap) from the built library, checks that
# it declares the exported API, and runs crm-ffi/swift/main.swift when a Swift toolchain exists.
#
# Usage: crm-ffi/swift/check.sh <target dir holding debug/libcrm_ffi.so>
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET=${1:-target}
LIB="$TARGET/debug/libcrm_ffi.so"
OUT="$TARGET/bindings/swift"

rm -rf "$OUT"
cargo run -q -p crm-ffi --features bindgen --bin uniffi-bindgen --locked -- \
    generate --library "$LIB" --language swift --no-format --out-dir "$OUT"

missing=0
expect() { # file, fixed string
    if ! grep -qF -- "$2" "$1"; then
        echo "Swift binding: $(basename "$1") does not declare: $2" >&2
        missing=1
    fi
}
SRC="$OUT/CrmCore.swift"
expect "$SRC" "public func moneyNew(amount: ExactDecimal, currency: String)throws  -> Money"
expect "$SRC" "public func moneySplit(money: Money, parts: Int64)throws  -> [Money]"
expect "$SRC" "public func moneyAllocate(money: Money, ratios: [ExactDecimal])throws  -> [Money]"
expect "$SRC" "public func moneyAdd(a: Money, b: Money)throws  -> Money"
expect "$SRC" "public func validateId(kind: String, value: String)throws  -> String"
expect "$SRC" "public func lineTransitions()throws  -> [LineTransition]"
expect "$SRC" "public func businessDurationFromHours(hours: Int64)throws  -> BusinessDuration"
expect "$SRC" "public func timeRangeNew(start: Date, end: Date)throws  -> TimeRange"
expect "$SRC" "public struct Money"
expect "$SRC" "enum CrmError: Swift.Error"
expect "$SRC" "open class MoneyTally"
expect "$SRC" "public typealias ExactDecimal = Decimal"
expect "$SRC" "open class Crm: CrmProtocol"
expect "$SRC" "public static func replay(events: [Event])throws  -> Crm"
expect "$SRC" "open func execute(meta: Meta, command: String)throws  -> [Event]"
expect "$SRC" "open func executeJson(envelope: String)throws  -> String"
expect "$SRC" "open func executeCommand(meta: Meta, command: CrmCommand)throws  -> [Event]"
expect "$SRC" "open func events()throws  -> [Event]"
expect "$SRC" "open func checkEntitlement(request: String, at: Date)throws  -> EntitlementDecision"
expect "$SRC" "open func checkEntitlements(requests: [String], at: Date)throws  -> [EntitlementDecision]"
expect "$SRC" "open func processStatus(id: String, at: Date)throws  -> InstanceStatus"
expect "$SRC" "public func processDefinitionToMermaid(definition: String)throws  -> String"
expect "$SRC" "public struct EntitlementDecision"
expect "$SRC" "public struct Event"
expect "$SRC" "public struct Meta"
expect "$SRC" "public enum DecisionOutcome"
expect "$SRC" "open class DecisionTable: DecisionTableProtocol"
expect "$SRC" "open class TieringPolicy: TieringPolicyProtocol"
expect "$SRC" "open func assignTiers(customers: String, at: Date)throws  -> TieringBatch"
expect "$SRC" "open func assignTier(measures: String, at: Date, previous: String?)throws  -> TierDecision"
expect "$SRC" "open class ServicePolicy: ServicePolicyProtocol"
expect "$SRC" "open class Ledger: LedgerProtocol"
expect "$SRC" "open func customer360(customer: String, at: Date, lastN: Int32)throws  -> Customer360"
expect "$SRC" "open func audit(customer: String, at: Date)throws  -> [Finding]"
expect "$SRC" "open func collectionActionsBatch(customers: [String], policy: String, at: Date)throws  -> [[CollectionAction]]"
expect "$SRC" "open func recordPayment(payment: String)throws  -> String"
expect "$SRC" "open func balance()throws  -> Money"
expect "$SRC" "open func decide(complaint: String, customer: String, granted: String, cap: String, at: Date)throws  -> CompensationDecision"
expect "$SRC" "open func customer(id: String)throws  -> Customer"
expect "$SRC" "open func agreement(id: String)throws  -> Agreement"
expect "$SRC" "open func agreementsOf(customer: String)throws  -> [Agreement]"
expect "$SRC" "open func processInstance(id: String)throws  -> ProcessInstance"
expect "$SRC" "open func processesOf(customer: String)throws  -> [ProcessInstance]"
expect "$SRC" "open func statement(customer: String, scope: String?)throws  -> Statement"
expect "$SRC" "open func aging(customer: String, asOf: IsoDate, graceDays: Int32, scope: String?)throws  -> AgingReport"
expect "$SRC" "open func reconcile(customer: String, from: IsoDate, to: IsoDate, asOf: IsoDate, scope: String?)throws  -> Reconciliation"
expect "$SRC" "open func collectionActions(customer: String, policy: String, at: Date)throws  -> [CollectionAction]"
expect "$SRC" "open func interaction(id: String)throws  -> Interaction"
expect "$SRC" "open func interactionsOf(customer: String, lastN: Int32)throws  -> [Interaction]"
expect "$SRC" "open func commitmentsOf(customer: String)throws  -> [Commitment]"
expect "$SRC" "open func overdueCommitments(at: Date)throws  -> [Commitment]"
expect "$SRC" "open func usage(id: String)throws  -> UsageRecord"
expect "$SRC" "open func tierOf(customer: String)throws  -> TierChange?"
expect "$SRC" "open func compensationsOf(customer: String)throws  -> [CompensationGrant]"
expect "$SRC" "open func customerMeasures(customer: String, at: Date)throws  -> String"
expect "$SRC" "open func assignTier(customer: String, at: Date)throws  -> TierDecision"
expect "$SRC" "open func assignTiers(customers: [String], at: Date)throws  -> TieringBatch"
expect "$SRC" "open func decideCompensation(customer: String, complaint: String, at: Date)throws  -> CompensationDecision"
expect "$SRC" "open func standing(customer: String, at: Date)throws  -> String"
expect "$SRC" "open func paymentPlan(id: String)throws  -> PaymentPlan"
expect "$SRC" "open func reconcileAll(from: IsoDate, to: IsoDate, asOf: IsoDate)throws  -> String"
expect "$SRC" "open func collectionPolicy(name: String)throws  -> String"
expect "$SRC" "open func settledRestrictions(customer: String, at: Date)throws  -> String"
expect "$SRC" "open func ledger(customer: String)throws  -> Ledger?"
expect "$SRC" "open func streamVersion(stream: String)throws  -> Int64"
expect "$SRC" "open func entitlementsOf(customer: String, at: Date, standing: String?)throws  -> [EntitlementStatus]"
expect "$SRC" "open func serviceMeasures(start: Date, end: Date, filter: String?)throws  -> ServiceMeasures"
expect "$SRC" "open func accountability(at: Date)throws  -> AccountabilityReport"
expect "$SRC" "open func processReport(definition: String)throws  -> ProcessReport"
expect "$SRC" "open func paymentPlansOf(customer: String)throws  -> [PaymentPlan]"
expect "$SRC" "open func serviceLevel(customer: String, code: String, priority: String, at: Date)throws  -> ServiceLevelTargets"
expect "$SRC" "open func exceptionsCovering(customer: String, scope: String, at: Date, agreement: String?)throws  -> [ApprovedException]"
expect "$SRC" "open func totals()throws  -> LedgerTotals"
expect "$SRC" "open func isEntitled(request: String, at: Date)throws  -> Bool"
expect "$SRC" "open func areEntitled(requests: [String], at: Date)throws  -> [Bool]"
expect "$SRC" "open class BusinessClock: BusinessClockProtocol"
expect "$SRC" "public convenience init(calendar: String)throws"
expect "$SRC" "open func add(at: Date, duration: BusinessDuration, paused: [TimeRange] = [])throws  -> Date"
expect "$SRC" "open func between(start: Date, end: Date, paused: [TimeRange] = [])throws  -> BusinessDuration"
expect "$SRC" "open func addMany(instants: [Date], duration: BusinessDuration)throws  -> [Date]"
expect "$SRC" "open func businessClock(id: String)throws  -> BusinessClock"
expect "$SRC" "open func calendar(id: String)throws  -> BusinessCalendar"
expect "$SRC" "open func calendar()throws  -> BusinessCalendar"
expect "$SRC" "open func processDefinition(id: String)throws  -> ProcessDefinition"
expect "$SRC" "open func classifyInteraction(kind: String)throws  -> ProcessDefinition"
expect "$SRC" "open class ProcessRunner: ProcessRunnerProtocol"
expect "$SRC" "public convenience init(definition: String, calendar: BusinessClock, instance: String, customer: String, at: Date, agreement: String? = nil, data: String? = nil, sla: String? = nil)throws"
expect "$SRC" "open func advance(outcome: String, at: Date, performer: Performer, data: String? = nil)throws  -> ProcessMove"
expect "$SRC" "open func history()throws  -> [ProcessMove]"
expect "$SRC" "open func status(at: Date)throws  -> InstanceStatus"
for record in Customer Agreement AgreementLine LineStatusEntry Statement StatementCharge AgingReport \
    Reconciliation UnpaidCharge CollectionAction ProcessInstance InstanceStatus SlaClock Interaction \
    Finding EntityRef Customer360 TierView AgreementView LineView MoneyView ProcessView Commitment \
    UsageRecord TierChange CompensationGrant EntitlementStatus ServiceMeasures CommitmentTally \
    PartyAccountability PartnerScorecard AccountabilityReport StepStats ProcessReport PaymentPlan \
    ServiceLevelTargets ApprovedException LedgerTotals TierDecision TieringFailure TieringBatch \
    CompensationDecision ProcessMove BusinessCalendar Holiday WorkingHours \
    ProcessDefinition ProcessStep ProcessEdge; do
    expect "$SRC" "public struct $record"
done
for enum in CollectionTarget ActionStatus Channel Direction Purpose InteractionOutcome Severity \
    FindingKind CollectionStepKind SlaState CommitmentState Party CrmCommand PaymentMethod Performer StepKind; do
    expect "$SRC" "public enum $enum"
done
expect "$OUT/crm_ffiFFI.h" "uniffi_crm_ffi_fn_func_money_split"
expect "$OUT/crm_ffiFFI.modulemap" "module crm_ffiFFI"
if [ "$missing" -ne 0 ]; then
    echo "Swift binding check FAILED" >&2
    exit 1
fi
echo "Swift binding generated and declares the exported API ($SRC)"

if command -v swiftc >/dev/null 2>&1; then
    BIN="$OUT/crm-swift-test"
    swiftc -I "$OUT" -L "$TARGET/debug" -lcrm_ffi \
        -Xcc -fmodule-map-file="$OUT/crm_ffiFFI.modulemap" \
        "$SRC" crm-ffi/swift/main.swift -o "$BIN"
    LD_LIBRARY_PATH="$TARGET/debug${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$BIN"
else
    echo "Swift toolchain not found: skipping the Swift test run"
fi
