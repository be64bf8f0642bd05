package org.tocomstream.job.run;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_QUIET;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The video track of a file, decoded frame by frame with FFmpeg (libavformat, libavcodec, libswscale
 * through bytedeco's JavaCPP presets; natives for linux-x86_64 in the jar, unpacked on first use).
 * Reads every container and codec that FFmpeg's LGPL build decodes: H.264 (any profile), H.265,
 * MPEG-4 part 2 (Xvid, DivX, MS-MPEG-4), MJPEG, Cinepak, VP8/VP9, AV1, ... Holds one decoded frame at a
 * time. Packets the decoder rejects are skipped (counted), as players do with a damaged stretch of a
 * recording; a track that yields no frame at all is an error naming the file and the codec.
 */
public final class FfmpegVideo implements AutoCloseable {

    private static final int EAGAIN = -11;

    private final Path file;
    private final String codec;
    private final double frameRate;
    private final int streamIndex;
    private AVFormatContext format;
    private AVCodecContext decoder;
    private AVPacket packet;
    private AVFrame frame;
    private SwsContext sws;
    private BytePointer bgr;
    private boolean inputEnded;
    private long frames;
    private long skippedPackets;
    private String lastError;

    private FfmpegVideo(Path file, AVFormatContext format, int streamIndex, String codec, double frameRate) {
        this.file = file;
        this.format = format;
        this.streamIndex = streamIndex;
        this.codec = codec;
        this.frameRate = frameRate;
    }

    /**
     * Opens the best video track of {@code file}.
     *
     * @throws IOException naming the file (and the codec once known) when it is missing, is no media
     *     file FFmpeg reads, has no video track, or its codec has no decoder in this FFmpeg build
     */
    public static FfmpegVideo open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("cannot decode video " + file + ": no such file");
        }
        loadNatives(file);
        AVFormatContext format = new AVFormatContext(null);
        int rc = avformat_open_input(format, file.toAbsolutePath().toString(), null, null);
        if (rc < 0) {
            throw new IOException(
                    "cannot decode video " + file + ": not a media file FFmpeg reads (" + error(rc) + ")");
        }
        FfmpegVideo video = null;
        try {
            rc = avformat_find_stream_info(format, (PointerPointer<?>) null);
            if (rc < 0) {
                throw new IOException("cannot decode video " + file + ": " + error(rc));
            }
            int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, (PointerPointer<?>) null, 0);
            if (index < 0) {
                throw new IOException("cannot decode video " + file + ": no video track (" + error(index) + ")");
            }
            AVStream stream = format.streams(index);
            AVCodecParameters par = stream.codecpar();
            String codec = codecName(par);
            video = new FfmpegVideo(file, format, index, codec, rate(stream));
            video.openDecoder(par);
            return video;
        } catch (IOException | RuntimeException e) {
            if (video != null) {
                video.close();
            } else {
                avformat_close_input(format);
            }
            throw e;
        }
    }

    /** Loads FFmpeg's natives once; an error naming the platform when the jar has none for it. */
    private static void loadNatives(Path file) throws IOException {
        try {
            av_log_set_level(AV_LOG_QUIET);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new IOException(
                    "cannot decode video " + file + ": FFmpeg's natives do not load on "
                            + System.getProperty("os.name") + "/" + System.getProperty("os.arch")
                            + " (the jar carries them for linux-x86_64 only): " + e.getMessage(),
                    e);
        }
    }

    private void openDecoder(AVCodecParameters par) throws IOException {
        AVCodec found = avcodec_find_decoder(par.codec_id());
        if (found == null || found.isNull()) {
            throw new IOException(failure("this FFmpeg build has no decoder for it"));
        }
        decoder = avcodec_alloc_context3(found);
        int rc = avcodec_parameters_to_context(decoder, par);
        if (rc >= 0) {
            rc = avcodec_open2(decoder, found, (PointerPointer<?>) null);
        }
        if (rc < 0) {
            throw new IOException(failure("the decoder does not open (" + error(rc) + ")"));
        }
        packet = av_packet_alloc();
        frame = av_frame_alloc();
    }

    /** The codec's FFmpeg name, with the container's tag when it differs (e.g. {@code msmpeg4v3 (DIV3)}). */
    private static String codecName(AVCodecParameters par) {
        String name = avcodec_get_name(par.codec_id()).getString(StandardCharsets.US_ASCII);
        int tag = par.codec_tag();
        if (tag == 0) {
            return name;
        }
        StringBuilder fourcc = new StringBuilder(4);
        for (int i = 0; i < 4; i++) {
            int c = (tag >>> (8 * i)) & 0xff;
            fourcc.append(c >= 0x20 && c < 0x7f ? (char) c : '?');
        }
        return name + " (" + fourcc + ")";
    }

    /** Frames per second from the stream's average rate, else its base rate; 0 when neither is known. */
    private static double rate(AVStream stream) {
        for (AVRational r : new AVRational[] {stream.avg_frame_rate(), stream.r_frame_rate()}) {
            if (r != null && r.num() > 0 && r.den() > 0) {
                return (double) r.num() / r.den();
            }
        }
        return 0;
    }

    private static String error(int rc) {
        byte[] buf = new byte[256];
        av_strerror(rc, buf, buf.length);
        int n = 0;
        while (n < buf.length && buf[n] != 0) {
            n++;
        }
        return new String(buf, 0, n, StandardCharsets.US_ASCII);
    }

    private String failure(String what) {
        return "cannot decode video " + file + ": codec '" + codec + "': " + what;
    }

    /** The codec's FFmpeg name, with the container's four-character tag when it has one. */
    public String codec() {
        return codec;
    }

    /** The video's own frames per second; 0 when the file does not say. */
    public double frameRate() {
        return frameRate;
    }

    /** Packets the decoder rejected, skipped. */
    public long skippedPackets() {
        return skippedPackets;
    }

    /**
     * The next frame as an RGB image, or null at the end of the video.
     *
     * @throws IOException naming the file and the codec when not a single frame decodes
     */
    public BufferedImage next() throws IOException {
        while (true) {
            int rc = avcodec_receive_frame(decoder, frame);
            if (rc >= 0) {
                frames++;
                return toImage();
            }
            if (rc == AVERROR_EOF()) {
                if (frames == 0) {
                    throw new IOException(
                            failure("no frame decoded" + (lastError == null ? "" : " (" + lastError + ")")));
                }
                return null;
            }
            if (rc != EAGAIN) {
                throw new IOException(failure("decoding failed after " + frames + " frames (" + error(rc) + ")"));
            }
            feed();
        }
    }

    /** Sends the next packet of the video track to the decoder, or the end of the input. */
    private void feed() throws IOException {
        if (inputEnded) {
            throw new IOException(failure("the decoder wants input after the end of the file"));
        }
        while (true) {
            int rc = av_read_frame(format, packet);
            if (rc < 0) {
                inputEnded = true;
                avcodec_send_packet(decoder, null);
                return;
            }
            try {
                if (packet.stream_index() != streamIndex) {
                    continue;
                }
                rc = avcodec_send_packet(decoder, packet);
                if (rc >= 0) {
                    return;
                }
                lastError = error(rc);
                skippedPackets++;
            } finally {
                av_packet_unref(packet);
            }
        }
    }

    /** Converts the decoded frame to a BGR {@link BufferedImage} (any pixel format, any size change). */
    private BufferedImage toImage() throws IOException {
        int w = frame.width();
        int h = frame.height();
        sws = sws_getCachedContext(
                sws, w, h, frame.format(), w, h, AV_PIX_FMT_BGR24, SWS_BILINEAR, null, null, (DoublePointer) null);
        if (sws == null || sws.isNull()) {
            throw new IOException(failure(String.format(
                    Locale.ROOT, "no conversion from pixel format %d at %dx%d to RGB", frame.format(), w, h)));
        }
        long bytes = 3L * w * h;
        if (bgr == null || bgr.capacity() < bytes) {
            if (bgr != null) {
                bgr.close();
            }
            bgr = new BytePointer(bytes);
        }
        try (PointerPointer<BytePointer> dst = new PointerPointer<>(1);
                IntPointer stride = new IntPointer(1)) {
            dst.put(0, bgr);
            stride.put(0, 3 * w);
            sws_scale(sws, frame.data(), frame.linesize(), 0, h, dst, stride);
        }
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] pixels = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        bgr.position(0).get(pixels, 0, (int) bytes);
        return image;
    }

    @Override
    public void close() {
        if (sws != null) {
            sws_freeContext(sws);
            sws = null;
        }
        if (bgr != null) {
            bgr.close();
            bgr = null;
        }
        if (frame != null) {
            av_frame_free(frame);
            frame = null;
        }
        if (packet != null) {
            av_packet_free(packet);
            packet = null;
        }
        if (decoder != null) {
            avcodec_free_context(decoder);
            decoder = null;
        }
        if (format != null) {
            avformat_close_input(format);
            format = null;
        }
    }
}
