package io.kiln.runtime.internal;

import io.kiln.bpf.BpfException;
import io.kiln.bpf.BpfLink;
import io.kiln.bpf.BpfProgram;
import io.kiln.bpf.Direction;
import io.kiln.bpf.LinkInfo;
import io.kiln.bpf.ProgramMismatchException;
import io.kiln.bpf.TcFilter;
import io.kiln.runtime.Attachment;
import io.kiln.template.Hook;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One attachment with this process's handle on it: the link's fd (tcx, XDP) or the tc filter's
 * address. Every method must run inside the interface's network namespace.
 */
public final class LiveHook implements AutoCloseable {
    private Attachment attachment;
    private BpfLink link;        // TCX_LINK, XDP_LINK; null when the pin is gone
    private TcFilter filter;     // TC_FILTER; null when the filter is gone
    private final int ifindex;

    private LiveHook(Attachment attachment, BpfLink link, TcFilter filter, int ifindex) {
        this.attachment = attachment;
        this.link = link;
        this.filter = filter;
        this.ifindex = ifindex;
    }

    /** Attaches {@code program} and pins its link; on failure nothing stays attached. */
    public static LiveHook attach(BpfProgram program, String name, Hook hook, Attachment.Kind kind, int ifindex,
                                  Path linkPin, int tcHandle, int tcPriority) {
        return attach(program, name, hook, kind, ifindex, linkPin, tcHandle, tcPriority, 0);
    }

    /**
     * {@link #attach(BpfProgram, String, Hook, Attachment.Kind, int, Path, int, int)} with a tcx link
     * placed before the program {@code beforeProgramId} on the hook (0: the default placement).
     */
    public static LiveHook attach(BpfProgram program, String name, Hook hook, Attachment.Kind kind, int ifindex,
                                  Path linkPin, int tcHandle, int tcPriority, int beforeProgramId) {
        return switch (kind) {
            case TCX_LINK, XDP_LINK -> {
                BpfLink link = kind == Attachment.Kind.XDP_LINK ? program.attachXdp(ifindex)
                        : beforeProgramId != 0 ? program.attachTcxBefore(ifindex, direction(hook), beforeProgramId)
                        : program.attachTcx(ifindex, direction(hook));
                try {
                    link.pin(linkPin);
                } catch (RuntimeException e) {
                    link.close(); // our fd was its only holder: closing it detaches
                    throw e;
                }
                yield new LiveHook(new Attachment(name, hook, kind, program.id(), linkPin, 0, 0), link, null, ifindex);
            }
            case TC_FILTER -> {
                TcFilter f = program.attachTc(ifindex, direction(hook), tcHandle, tcPriority);
                yield new LiveHook(new Attachment(name, hook, kind, program.id(), null, f.handle(), f.priority()), null,
                        f, ifindex);
            }
        };
    }

    /** Finds a recorded attachment again: opens the link's pin or looks the filter up; absent ones stay null. */
    public static LiveHook adopt(Attachment a, int ifindex) {
        if (a.kind() == Attachment.Kind.TC_FILTER) {
            Optional<TcFilter> f = ifindex > 0
                    ? TcFilter.find(ifindex, direction(a.hook()), a.tcHandle(), a.tcPriority()) : Optional.empty();
            return new LiveHook(a, null, f.orElse(null), ifindex);
        }
        BpfLink link = Files.exists(a.linkPin()) ? BpfLink.openPinned(a.linkPin()) : null;
        return new LiveHook(a, link, null, ifindex);
    }

    public Attachment attachment() {
        return attachment;
    }

    /** The id of the program on the hook now; 0 if the hook is empty (link detached or gone, filter deleted). */
    public int runningProgramId() {
        if (link != null) {
            LinkInfo info = link.info();
            return info.ifindex() == 0 ? 0 : info.programId();
        }
        return filter != null ? filter.programId() : 0;
    }

    /**
     * Swaps the program atomically, only if the hook still runs the program Kiln put there last
     * ({@link ProgramMismatchException} otherwise, with nothing changed).
     */
    public void replace(BpfProgram newProgram) {
        int expectedId = attachment.programId();
        if (link != null) {
            BpfProgram expected;
            try {
                expected = BpfProgram.fromId(expectedId);
            } catch (BpfException gone) {
                throw mismatch(runningProgramId());
            }
            try (expected) {
                link.update(newProgram, expected);
            }
        } else if (filter != null) {
            int running = filter.programId();
            if (running != expectedId) {
                throw mismatch(running);
            }
            filter.replace(newProgram);
        } else {
            throw mismatch(0);
        }
        attachment = attachment.withProgramId(newProgram.id());
    }

    private ProgramMismatchException mismatch(int running) {
        return new ProgramMismatchException(attachment.describe() + ": the hook " + (running == 0 ? "is empty"
                : "runs program " + running) + ", not the program " + attachment.programId()
                + " Kiln attached; something else changed it. Nothing was replaced", attachment.programId(), running);
    }

    /** Accepts what runs on the hook now as the program to expect from here on (0 if it is empty). */
    public Attachment acceptRunning() {
        if (attachment.kind() == Attachment.Kind.TC_FILTER && ifindex > 0) {
            // a fresh handle expects what runs now; the old one still expects Kiln's program
            filter = TcFilter.find(ifindex, direction(attachment.hook()), attachment.tcHandle(), attachment.tcPriority())
                    .orElse(null);
        }
        attachment = attachment.withProgramId(runningProgramId());
        return attachment;
    }

    /** True if the hook is gone: the link pin removed or defunct, the filter deleted, the interface gone. */
    public boolean isEmpty() {
        return runningProgramId() == 0;
    }

    /**
     * Takes the program off its hook whichever program runs there, and removes the link's pin.
     * Idempotent: a hook already gone is not an error.
     */
    public void detach() {
        if (link != null) {
            try {
                if (link.info().ifindex() != 0) {
                    link.detach(); // also unpins and closes
                } else {
                    link.close(); // defunct already (interface gone, or detached by someone): only the pin is left
                }
            } finally {
                link = null;
                deleteQuietly(attachment.linkPin());
            }
        } else if (attachment.linkPin() != null) {
            deleteQuietly(attachment.linkPin());
        }
        if (filter != null) {
            if (filter.programId() != 0) {
                filter.detach();
            }
            filter = null;
        }
    }

    /** Replaces an empty hook with a fresh attachment of {@code program} (after the pin of a dead link is removed). */
    public static LiveHook reattach(LiveHook dead, BpfProgram program, int ifindex, int beforeProgramId) {
        Attachment a = dead.attachment;
        dead.close();
        if (a.linkPin() != null) {
            deleteQuietly(a.linkPin());
        }
        return attach(program, a.program(), a.hook(), a.kind(), ifindex, a.linkPin(), a.tcHandle(), a.tcPriority(),
                beforeProgramId);
    }

    public int ifindex() {
        return ifindex;
    }

    /** Closes this process's link fd; the pin keeps the link attached. */
    @Override
    public void close() {
        if (link != null) {
            link.close();
        }
    }

    public static Direction direction(Hook hook) {
        return switch (hook) {
            case TC_INGRESS -> Direction.INGRESS;
            case TC_EGRESS -> Direction.EGRESS;
            case XDP -> throw new IllegalArgumentException("xdp is not a tc direction");
        };
    }

    private static void deleteQuietly(Path pin) {
        try {
            Files.deleteIfExists(pin);
        } catch (IOException e) {
            throw new BpfException("remove link pin " + pin + ": " + e.getMessage(), e);
        }
    }
}
