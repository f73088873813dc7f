package org.packetrelay.upload;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * The first step of a file's upload (bean {@code regularFiles}): only a regular file of the spool folder is read. A
 * FIFO would block the reader for good, and a symbolic link could point anywhere (its target is never read); both
 * are permanent failures of the file (it goes to failed_uploads/ with an {@code .error}), and the next files flow.
 */
public class RegularFiles implements Processor {
    @Override
    public void process(Exchange exchange) throws Exception {
        Path p = Path.of(exchange.getIn().getHeader(Exchange.FILE_PATH, String.class));
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink()) {
            throw new UploadException(true, "a symbolic link, not a file of the spool folder: only regular files are uploaded"
                                            + " (the link is not followed)");
        }
        if (!a.isRegularFile()) {
            throw new UploadException(true, "not a regular file (" + (a.isDirectory() ? "a folder" : "a FIFO, socket or device")
                                            + "): only regular files are uploaded");
        }
    }
}
