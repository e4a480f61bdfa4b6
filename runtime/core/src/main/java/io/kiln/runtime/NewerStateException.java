package io.kiln.runtime;

/**
 * An endpoint's state file was written by a newer Kiln, in a state format this one does not read
 * (a downgrade). Its programs, links and maps are the newer Kiln's: this Kiln neither adopts nor
 * removes them, so the endpoint keeps running as the newer Kiln left it until a Kiln that reads the
 * format takes it over again ({@code kiln uninstall} of this Kiln refuses it too, with this message).
 */
public final class NewerStateException extends EndpointException {
    private static final long serialVersionUID = 1L;

    private final int format;

    public NewerStateException(String message, int format) {
        super(message, false);
        this.format = format;
    }

    /** The state format the file is in. */
    public int format() {
        return format;
    }
}
