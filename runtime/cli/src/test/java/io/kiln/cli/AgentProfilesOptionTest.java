package io.kiln.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** `kiln agent --profiles FILE`: a bad file is one line naming file and field, before anything is loaded. */
class AgentProfilesOptionTest {
    @Test
    void aProfileSettingANodeWideSizeIsRefusedBeforeTheAgentStarts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("profiles.yaml");
        Files.writeString(file, "profiles: { big: { build: { ctSize: 4194304 } } }\nnamespaces: {}\n");
        Path state = dir.resolve("state");
        CliTest.Run run = CliTest.kiln("agent", "--kubernetes", "--node-name", "n1", "--profiles", file.toString(),
                "--state-dir", state.toString(), "--pin-root", "/sys/fs/bpf/kiln-never-made-" + dir.getFileName());
        assertEquals(2, run.exit(), run.err());
        assertEquals("kiln: " + file + ": profiles.big.build.ctSize: 'ctSize' is node-wide: every endpoint of the node"
                + " shares it; set it under nodeBuild\n", run.err());
        assertFalse(Files.exists(state), "nothing was loaded or written");
    }

    @Test
    void profilesAreForKubernetes(@TempDir Path dir) {
        CliTest.Run run = CliTest.kiln("agent", "--profiles", dir.resolve("p.yaml").toString());
        assertEquals(2, run.exit(), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
    }
}
