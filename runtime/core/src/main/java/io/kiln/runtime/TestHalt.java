package io.kiln.runtime;

/**
 * Test-only crash points. With the system property {@value #PROPERTY} set to a point's name
 * (e.g. {@code swap-hooked}: a swap's new programs are on their hooks, its maps not committed), the
 * process stops dead the first time it reaches that point: {@link Runtime#halt} runs no shutdown
 * hook and closes nothing, so the kernel is left as a SIGKILL there leaves it. Unset (always,
 * outside tests): nothing happens.
 */
final class TestHalt {
    static final String PROPERTY = "kiln.test.haltAt";
    private static final String AT = System.getProperty(PROPERTY);

    private TestHalt() {
    }

    static void at(String point) {
        if (AT != null && AT.equals(point)) {
            System.err.println("kiln: " + PROPERTY + "=" + AT + ": halting here, as a SIGKILL would stop it");
            System.err.flush();
            Runtime.getRuntime().halt(137);
        }
    }
}
