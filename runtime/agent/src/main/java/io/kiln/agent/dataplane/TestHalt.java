package io.kiln.agent.dataplane;

/**
 * Test-only crash points. With the environment variable {@value #VARIABLE} set to {@code move-STEP}
 * (e.g. {@code move-attached}, {@code move-recorded}: the steps {@link io.kiln.runtime.EndpointLoader#moveTcHooks(
 * io.kiln.runtime.AttachedEndpoint, java.util.function.Consumer)} reports), the agent stops dead the first
 * time a move of tc hooks reaches that step: {@link Runtime#halt} runs no shutdown hook and closes
 * nothing itself, so the kernel is left as a SIGKILL there leaves it. Unset (always, outside tests):
 * nothing happens.
 */
final class TestHalt {
    static final String VARIABLE = "KILN_TEST_HALT_AT";
    private static final String AT = System.getenv(VARIABLE);

    private TestHalt() {
    }

    static void at(String moveStep) {
        if (AT != null && AT.equals("move-" + moveStep)) {
            System.err.println("kiln agent: " + VARIABLE + "=" + AT + ": halting here, as a SIGKILL would stop it");
            System.err.flush();
            Runtime.getRuntime().halt(137);
        }
    }
}
