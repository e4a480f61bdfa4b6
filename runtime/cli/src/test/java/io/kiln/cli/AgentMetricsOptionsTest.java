package io.kiln.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `kiln agent --metrics-listen`, `--flow-export`, `--flow-identity-pairs`: bad values are one line, before anything is loaded. */
class AgentMetricsOptionsTest {
    private static void refused(Path dir, String expected, String... args) {
        Path state = dir.resolve("state");
        String[] all = new String[args.length + 5];
        all[0] = "agent";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--state-dir";
        all[args.length + 2] = state.toString();
        all[args.length + 3] = "--pin-root";
        all[args.length + 4] = "/sys/fs/bpf/kiln-never-made-" + dir.getFileName();
        CliTest.Run run = CliTest.kiln(all);
        assertEquals(2, run.exit(), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains(expected), run.err());
        assertFalse(Files.exists(state), "nothing was loaded or written");
    }

    @Test
    void aMetricsAddressIsAnIpLiteralAndAPort(@TempDir Path dir) {
        refused(dir, "--metrics-listen metrics address 'localhost:9962': expected ADDRESS:PORT with an IP literal",
                "--metrics-listen", "localhost:9962");
        refused(dir, "port '70000': expected 0..65535", "--metrics-listen", "127.0.0.1:70000");
    }

    @Test
    void aFlowExportNeedsFlowsAndAFolder(@TempDir Path dir) {
        refused(dir, "--flow-export writes flow records; it cannot go with --no-flows",
                "--flow-export", dir.resolve("f.jsonl").toString(), "--no-flows");
        refused(dir, "does not exist", "--flow-export", dir.resolve("no/such/f.jsonl").toString());
        refused(dir, "--flow-export-max-size 0: expected 1..1048576 (MiB)", "--flow-export",
                dir.resolve("f.jsonl").toString(), "--flow-export-max-size", "0");
        refused(dir, "--flow-identity-pairs 0: expected at least 1", "--flow-identity-pairs", "0");
    }
}
