package io.kiln.bpf;

/** Run in a child JVM by {@link LibbpfMissingTest}: prints the version or the error message. */
public final class PrintLibbpfVersion {
    private PrintLibbpfVersion() {
    }

    public static void main(String[] args) {
        try {
            System.out.println("OK " + LibbpfVersion.current());
        } catch (BpfException e) {
            System.out.println("ERROR " + e.getMessage());
            System.out.println("AGAIN " + (e.getMessage().equals(safeMessage()) ? "same" : "different"));
        }
    }

    private static String safeMessage() {
        try {
            LibbpfVersion.current();
            return "";
        } catch (BpfException e) {
            return e.getMessage();
        }
    }
}
