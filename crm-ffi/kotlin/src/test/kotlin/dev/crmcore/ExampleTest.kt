package dev.crmcore

import org.junit.jupiter.api.Test

/** The Kotlin example (examples/kotlin) compiles with these tests and runs here. */
class ExampleTest {
    @Test
    fun `the Kotlin example runs`() {
        dev.crmcore.examples.main()
    }
}
