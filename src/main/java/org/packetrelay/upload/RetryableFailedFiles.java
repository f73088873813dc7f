package org.packetrelay.upload;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.camel.component.file.GenericFile;
import org.apache.camel.component.file.GenericFileFilter;

/** The files of failed_uploads/ that are retried automatically: spool files without a {@code .error} file. */
public class RetryableFailedFiles implements GenericFileFilter<Object> {
    @Override
    public boolean accept(GenericFile<Object> file) {
        if (file.isDirectory()) {
            return false;
        }
        String name = file.getFileName();
        if (!name.endsWith(".csv")) {
            return false;
        }
        Path p = Path.of(file.getAbsoluteFilePath());
        return !Files.exists(p.resolveSibling(p.getFileName() + ".error"));
    }
}
