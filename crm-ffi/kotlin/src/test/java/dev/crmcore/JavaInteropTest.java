package dev.crmcore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The same API, called from Java: top-level Kotlin functions live in the class Crm_ffiKt, and
 * every function is declared {@code throws CrmException} (a checked exception in Java).
 */
class JavaInteropTest {
    @Test
    void moneySplitsAndErrorsCarryFields() throws CrmException {
        Money total = Crm_ffiKt.moneyNew(new BigDecimal("100"), "EUR");
        List<Money> parts = Crm_ffiKt.moneySplit(total, 3L);
        assertEquals(3, parts.size());
        assertEquals(0, parts.get(0).getAmount().compareTo(new BigDecimal("33.34")));

        CrmException.CurrencyMismatch e = assertThrows(CrmException.CurrencyMismatch.class,
            () -> Crm_ffiKt.moneyAdd(total, Crm_ffiKt.moneyNew(BigDecimal.ONE, "USD")));
        assertEquals("USD", e.getRight());
        assertTrue(e.getDetail().contains("USD"), e.getDetail());

        try (MoneyTally tally = new MoneyTally("EUR")) {
            tally.add(total);
            assertEquals("100.00", tally.total().getAmount().toPlainString());
        }
    }

    @Test
    void theEngineFromJava() throws CrmException {
        try (Crm crm = new Crm()) {
            Meta meta = new Meta(Instant.parse("2026-01-01T09:00:00Z"), "erp", null, null);
            List<Event> events = crm.execute(meta,
                "{\"type\":\"register_customer\",\"customer\":{\"id\":\"C1\",\"name\":\"Ada\"}}");
            assertEquals("customer_registered", events.get(0).getType());
            assertEquals(1L, events.get(0).getSeq());
            CrmException.NotFound e = assertThrows(CrmException.NotFound.class, () -> crm.agreement("A-404"));
            assertEquals("agreement", e.getEntity());
            try (Crm again = Crm.Companion.replay(crm.events())) {
                assertEquals(crm.stateJson(), again.stateJson());
            }
        }
    }

    @Test
    void typedRecordsAndCommandsFromJava() throws CrmException {
        try (Crm crm = new Crm()) {
            Instant at = Instant.parse("2026-01-01T09:00:00Z");
            Meta meta = new Meta(at, "erp", null, null);
            List<Event> events = crm.executeCommand(meta, new CrmCommand.RegisterCustomer("C1", "Ada"));
            assertEquals("customer/C1", events.get(0).getStream());
            Customer ada = crm.customer("C1");
            assertEquals("Ada", ada.getName());
            assertTrue(ada.getJson().contains("\"id\":\"C1\""), ada.getJson());

            Customer360 view = crm.customer360("C1", at, 5);
            assertEquals(at, view.getAt());
            assertTrue(view.getAgreements().isEmpty());
            assertEquals(null, view.getMoney());
            assertTrue(crm.audit("C1", at).isEmpty());

            crm.executeCommand(meta, new CrmCommand.RecordPayment("PAY-1", "C1", at,
                Crm_ffiKt.moneyParse("25.00", "EUR"), PaymentMethod.CARD, "card 1234"));
            Money balance = crm.balance("C1");
            assertEquals(0, balance.getAmount().compareTo(new BigDecimal("-25.00")), "a payment without charges is credit");
            Statement statement = crm.statement("C1", null);
            assertTrue(statement.getCharges().isEmpty());

            CrmException.Validation bad = assertThrows(CrmException.Validation.class,
                () -> crm.executeCommand(meta, new CrmCommand.RegisterCustomer("", "Nobody")));
            assertEquals("", bad.getValue());
            assertEquals(2, crm.events().size());
        }
    }

    @Test
    void datesAndTheLedgerFromJava() throws CrmException {
        String plan = "{\"id\":\"P-DEV\",\"customer_id\":\"C1\",\"agreement_id\":\"A1\","
            + "\"line_id\":\"L-DEV\",\"payment_type\":\"sale\",\"periodicity\":{\"type\":\"installments\","
            + "\"total\":{\"amount\":\"1200.00\",\"currency\":\"EUR\"},\"count\":12,"
            + "\"every\":{\"type\":\"monthly\"},\"first_due\":\"2025-01-31\"}}";
        String charges = Crm_ffiKt.paymentPlanChargesUntil(plan, LocalDate.of(2025, 3, 31), null);
        try (Ledger ledger = new Ledger("C1", "EUR")) {
            ledger.addCharges(charges, Instant.parse("2025-01-01T00:00:00Z"));
            assertEquals(0, ledger.balance().getAmount().compareTo(new BigDecimal("300.00")));
            AgingReport aging = ledger.aging(LocalDate.of(2025, 4, 15), 0, null);
            assertEquals(LocalDate.of(2025, 4, 15), aging.getAsOf());
            assertEquals(0, aging.getTotalOpen().getAmount().compareTo(new BigDecimal("300.00")));
            Statement statement = ledger.statement(null);
            assertEquals(3, statement.getCharges().size());
            assertEquals(LocalDate.of(2025, 1, 31), statement.getCharges().get(0).getDueDate());
            assertThrows(CrmException.Validation.class,
                () -> ledger.reconcile(LocalDate.of(2025, 2, 1), LocalDate.of(2025, 1, 1), LocalDate.of(2025, 3, 1), null));
        }
    }

    @Test
    void theNewObjectsFromJava() throws CrmException {
        Instant friday = Instant.parse("2026-03-06T15:30:00Z"); // 16:30 in Berlin
        try (Crm crm = new Crm()) {
            crm.execute(new Meta(friday, "erp", null, null),
                "{\"type\":\"register_customer\",\"customer\":{\"id\":\"C1\",\"name\":\"Ada\"}}");
            // no agreement yet: no such entitlement, for the yes/no as for the decision
            String request = "{\"customer\":\"C1\",\"code\":\"ticket\",\"channel\":\"phone\"}";
            assertThrows(CrmException.NotFound.class, () -> crm.checkEntitlement(request, friday));
            CrmException.NotFound none = assertThrows(CrmException.NotFound.class, () -> crm.isEntitled(request, friday));
            assertEquals("entitlement", none.getEntity());
            assertThrows(CrmException.NotFound.class, () -> crm.areEntitled(List.of(request), friday));
        }
        String day = "[{\"start\":\"09:00\",\"end\":\"17:00\"}]";
        String calendar = "{\"id\":\"support\",\"zone\":\"Europe/Berlin\",\"holidays\":[],\"week\":{"
            + "\"monday\":" + day + ",\"tuesday\":" + day + ",\"wednesday\":" + day
            + ",\"thursday\":" + day + ",\"friday\":" + day + "}}";
        try (BusinessClock clock = new BusinessClock(calendar)) {
            Instant deadline = clock.add(friday, new BusinessDuration(4 * 3600L), List.of());
            assertEquals(Instant.parse("2026-03-09T11:30:00Z"), deadline);
            assertEquals(4 * 3600L, clock.between(friday, deadline, List.of()).getSeconds());
            String ticket = "{\"id\":\"ticket\",\"name\":\"Ticket\",\"version\":1,\"steps\":["
                + "{\"id\":\"triage\",\"name\":\"Triage\",\"action\":\"read\",\"kind\":\"start\","
                + "\"performer\":{\"type\":\"queue\",\"name\":\"first_line\"}},"
                + "{\"id\":\"closed\",\"name\":\"Closed\",\"action\":\"close\",\"kind\":\"end\","
                + "\"performer\":{\"type\":\"queue\",\"name\":\"first_line\"}}],"
                + "\"edges\":[{\"from\":\"triage\",\"outcome\":\"done\",\"to\":\"closed\"}]}";
            try (ProcessRunner runner = new ProcessRunner(ticket, clock, "P-1", "C1", friday, null, null, null)) {
                Performer firstLine = new Performer.Queue("first_line");
                CrmException.InvalidTransition wrong = assertThrows(CrmException.InvalidTransition.class,
                    () -> runner.advance("nope", deadline, firstLine, null));
                assertEquals("P-1", wrong.getId());
                ProcessMove move = runner.advance("done", deadline, firstLine, null);
                assertEquals("closed", move.getTo());
                assertEquals(4 * 3600L, move.getBusinessTime().getSeconds());
                assertTrue(runner.ended());
            }
        }
    }
}
