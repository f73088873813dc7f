package org.packetrelay.upload;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.concurrent.Cancellable;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;

/**
 * Bounds every upload request, whatever the server does (bean {@code senderHttp}, the {@code httpClientConfigurer}
 * of the POST in routes/upload.yaml):
 * <ul>
 * <li>the whole exchange, from connecting to the last byte of the answer read, takes at most {@code sender.timeout}
 * seconds: the HTTP client's own timeouts bound each read, so a server trickling a byte at a time would otherwise hold
 * a batch for ever. At the deadline the request is cancelled, which closes its connection: an I/O error, transient;</li>
 * <li>at most {@value #MAX_ANSWER} bytes of an answer are read (the sender needs the status, the headers and an
 * excerpt of an error's text); a longer answer's connection is closed instead of read to its end, so a 1 GB answer
 * costs neither memory nor the time to drain it.</li>
 * </ul>
 * The kept bytes replace the answer's entity as a byte array of known length, which camel-http keeps as it is.
 */
public class SenderHttp implements HttpClientConfigurer, CamelContextAware {
    /** camel-http keeps an answer up to this size as a byte array (its responsePayloadStreamingThreshold). */
    static final int MAX_ANSWER = 8192;

    private CamelContext camelContext;
    private long timeoutMillis = 30_000;
    private ScheduledExecutorService timer;

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    /** sender.timeout: the longest a whole request may take. */
    public void setTimeout(int seconds) {
        this.timeoutMillis = seconds * 1000L;
    }

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        builder.addExecInterceptorFirst("packet-relay-bounds", this::execute);
    }

    private synchronized ScheduledExecutorService timer() {
        if (timer == null) {
            timer = camelContext.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "upload-deadline");
        }
        return timer;
    }

    private ClassicHttpResponse execute(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain)
            throws IOException, HttpException {
        ScheduledFuture<?> deadline = scope.originalRequest instanceof Cancellable c
                ? timer().schedule(c::cancel, timeoutMillis, TimeUnit.MILLISECONDS) : null;
        try {
            ClassicHttpResponse response = chain.proceed(request, scope);
            HttpEntity entity = response.getEntity();
            if (entity != null) {
                byte[] kept;
                boolean more;
                try (InputStream in = entity.getContent()) {
                    kept = in == null ? new byte[0] : in.readNBytes(MAX_ANSWER);
                    more = in != null && in.read() >= 0;
                    if (more) {
                        // do not read the rest: close the connection (the stream's close would drain it)
                        scope.execRuntime.discardEndpoint();
                    }
                }
                ContentType type = entity.getContentType() == null ? null : ContentType.parseLenient(entity.getContentType());
                response.setEntity(kept.length == 0 ? null : new ByteArrayEntity(kept, type));
            }
            if (deadline != null && deadline.isDone()) {
                throw new IOException("no whole answer within sender.timeout (" + timeoutMillis / 1000 + " s)");
            }
            return response;
        } catch (IOException e) {
            if (deadline != null && deadline.isDone()) {
                throw new IOException("no whole answer within sender.timeout (" + timeoutMillis / 1000 + " s): " + e.getMessage(), e);
            }
            throw e;
        } finally {
            if (deadline != null) {
                deadline.cancel(false);
            }
        }
    }
}
