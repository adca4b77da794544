//! H.264 MP4 video decoding in pure cargo (the `mp4` demuxer and the `openh264` decoder, which
//! compiles Cisco's OpenH264 from source), for the flower sequence of Figure 7.
//!
//! The demuxer yields samples of length-prefixed NAL units; they are rewritten as Annex-B
//! (`00 00 01` start codes) with the track's SPS/PPS put before every IDR picture that lacks
//! them, and fed to the decoder in order. Decoded pictures are 4:2:0 YUV; they are converted
//! to RGB with the BT.709 limited-range matrix (what `flower.mp4` signals):
//!
//! ```text
//! Y' = (Y - 16) / 219,  Cb = (U - 128) / 224,  Cr = (V - 128) / 224
//! R = Y' + 1.5748 Cr,   G = Y' - 0.18732 Cb - 0.46812 Cr,   B = Y' + 1.8556 Cb   (clipped to [0, 1])
//! ```
//!
//! with nearest-neighbour chroma upsampling (each U, V sample covers a 2 x 2 block), then
//! scaled to 0..255 and rounded. An optional integer `downscale` `f` averages `f x f` blocks
//! (box filter) of the RGB values before rounding; `floor(h / f) x floor(w / f)` pixels remain.
//!
//! ```no_run
//! # fn main() -> hits::Result<()> {
//! let v = hits::sequence::video::decode_mp4("flower.mp4".as_ref(), 1)?;
//! assert_eq!(v.frames.dim(), (175, 540, 960, 3));
//! # Ok(())
//! # }
//! ```

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use ndarray::{Array2, Array4, ArrayView2};
use openh264::decoder::{DecodedYUV, Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;
use openh264::OpenH264API;

use crate::{Error, Result};

/// Decoded frames of a video.
#[derive(Debug, Clone, PartialEq)]
pub struct Video {
    /// RGB frames `[n_frames, height, width, 3]`, 0..255.
    pub frames: Array4<u8>,
    /// Frames per second of the track.
    pub fps: f64,
}

/// One decoded 4:2:0 picture, borrowed from the decoder.
pub struct YuvPlanes<'a> {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    y: &'a [u8],
    u: &'a [u8],
    v: &'a [u8],
    y_stride: usize,
    uv_stride: usize,
}

impl YuvPlanes<'_> {
    /// Luma at row `i`, column `j`.
    pub fn y(&self, i: usize, j: usize) -> u8 {
        self.y[i * self.y_stride + j]
    }

    /// Chroma `(U, V)` covering pixel `(i, j)`.
    pub fn uv(&self, i: usize, j: usize) -> (u8, u8) {
        let k = (i / 2) * self.uv_stride + j / 2;
        (self.u[k], self.v[k])
    }

    /// RGB in `[0, 1]` of pixel `(i, j)` (BT.709 limited range, see the module docs).
    pub fn rgb(&self, i: usize, j: usize) -> [f64; 3] {
        let (u, v) = self.uv(i, j);
        let y = (f64::from(self.y(i, j)) - 16.0) / 219.0;
        let cb = (f64::from(u) - 128.0) / 224.0;
        let cr = (f64::from(v) - 128.0) / 224.0;
        const KR: f64 = 0.2126;
        const KB: f64 = 0.0722;
        const KG: f64 = 1.0 - KR - KB;
        let r = y + 2.0 * (1.0 - KR) * cr;
        let g = y - 2.0 * KB * (1.0 - KB) / KG * cb - 2.0 * KR * (1.0 - KR) / KG * cr;
        let b = y + 2.0 * (1.0 - KB) * cb;
        [r.clamp(0.0, 1.0), g.clamp(0.0, 1.0), b.clamp(0.0, 1.0)]
    }

    /// Mean of the Y, U and V planes (visible area only).
    pub fn plane_means(&self) -> [f64; 3] {
        let (w, h) = (self.width, self.height);
        let mean = |p: &[u8], stride: usize, pw: usize, ph: usize| {
            let s: u64 = (0..ph)
                .flat_map(|i| p[i * stride..i * stride + pw].iter())
                .map(|&v| u64::from(v))
                .sum();
            s as f64 / (pw * ph) as f64
        };
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        [
            mean(self.y, self.y_stride, w, h),
            mean(self.u, self.uv_stride, cw, ch),
            mean(self.v, self.uv_stride, cw, ch),
        ]
    }
}

/// Track facts of a decoded video.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoInfo {
    /// Frames decoded.
    pub n_frames: usize,
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Frames per second.
    pub fps: f64,
}

/// Decode every frame of the first H.264 track of the MP4 at `path`, in output order,
/// handing each to `each(index, planes)`.
pub fn for_each_frame(
    path: &Path,
    mut each: impl FnMut(usize, &YuvPlanes) -> Result<()>,
) -> Result<VideoInfo> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let bad = |msg: String| Error::bad_file(path, msg);
    let mut mp4 = mp4::Mp4Reader::read_header(BufReader::new(file), size)
        .map_err(|e| bad(format!("not a readable MP4 file: {e}")))?;
    let track = mp4
        .tracks()
        .values()
        .find(|t| matches!(t.media_type(), Ok(mp4::MediaType::H264)))
        .ok_or_else(|| bad("no H.264 video track".into()))?;
    let (track_id, n_samples) = (track.track_id(), track.sample_count());
    // frames per second from the track duration (mp4's `frame_rate()` rounds to an integer)
    let seconds = track.duration().as_secs_f64();
    let fps = if seconds > 0.0 {
        f64::from(n_samples) / seconds
    } else {
        0.0
    };
    let avcc = &track
        .trak
        .mdia
        .minf
        .stbl
        .stsd
        .avc1
        .as_ref()
        .ok_or_else(|| bad("H.264 track without an avcC configuration".into()))?
        .avcc;
    let length_size = usize::from(avcc.length_size_minus_one & 3) + 1;
    let mut params = Vec::new();
    for nal in avcc
        .sequence_parameter_sets
        .iter()
        .chain(&avcc.picture_parameter_sets)
    {
        params.extend_from_slice(&[0, 0, 1]);
        params.extend_from_slice(&nal.bytes);
    }
    let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
    let mut decoder = Decoder::with_api_config(OpenH264API::from_source(), config)
        .map_err(|e| bad(format!("cannot start the H.264 decoder: {e}")))?;
    let mut annexb = Vec::new();
    let mut index = 0usize;
    let mut size_wh = (0, 0);
    let mut deliver = |yuv: &DecodedYUV, index: &mut usize| -> Result<()> {
        let (w, h) = yuv.dimensions();
        let (ys, us, _) = yuv.strides();
        size_wh = (w, h);
        let planes = YuvPlanes {
            width: w,
            height: h,
            y: yuv.y(),
            u: yuv.u(),
            v: yuv.v(),
            y_stride: ys,
            uv_stride: us,
        };
        each(*index, &planes)?;
        *index += 1;
        Ok(())
    };
    for sample_id in 1..=n_samples {
        let Some(sample) = mp4
            .read_sample(track_id, sample_id)
            .map_err(|e| bad(format!("sample {sample_id}: {e}")))?
        else {
            continue;
        };
        to_annexb(&sample.bytes, length_size, &params, &mut annexb)
            .map_err(|m| bad(format!("sample {sample_id}: {m}")))?;
        let decoded = decoder
            .decode(&annexb)
            .map_err(|e| bad(format!("H.264 decoding failed at sample {sample_id}: {e}")))?;
        if let Some(yuv) = decoded {
            deliver(&yuv, &mut index)?;
        }
    }
    let rest = decoder
        .flush_remaining()
        .map_err(|e| bad(format!("H.264 decoder flush failed: {e}")))?;
    for yuv in &rest {
        deliver(yuv, &mut index)?;
    }
    Ok(VideoInfo {
        n_frames: index,
        width: size_wh.0,
        height: size_wh.1,
        fps,
    })
}

/// Rewrite one MP4 sample (length-prefixed NAL units) as Annex-B into `out`, putting the
/// parameter sets `params` first when the sample holds an IDR slice but no SPS.
fn to_annexb(
    sample: &[u8],
    length_size: usize,
    params: &[u8],
    out: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    out.clear();
    let mut nals = Vec::new();
    let mut rest = sample;
    while !rest.is_empty() {
        if rest.len() < length_size {
            return Err(format!(
                "{} trailing bytes shorter than a NAL length field",
                rest.len()
            ));
        }
        let len = rest[..length_size]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        rest = &rest[length_size..];
        if len > rest.len() {
            return Err(format!(
                "NAL unit of {len} bytes overruns the sample ({} left)",
                rest.len()
            ));
        }
        if len > 0 {
            nals.push(&rest[..len]);
        }
        rest = &rest[len..];
    }
    let nal_type = |n: &[u8]| n[0] & 0x1f;
    if nals.iter().any(|n| nal_type(n) == 5) && !nals.iter().any(|n| nal_type(n) == 7) {
        out.extend_from_slice(params);
    }
    for n in nals {
        out.extend_from_slice(&[0, 0, 1]);
        out.extend_from_slice(n);
    }
    Ok(())
}

/// Decode all frames to RGB (0..255), box-downscaled by the integer factor `downscale`
/// (1 = full size).
pub fn decode_mp4(path: &Path, downscale: usize) -> Result<Video> {
    if downscale == 0 {
        return Err(Error::invalid("downscale", "must be at least 1"));
    }
    let mut frames: Vec<u8> = Vec::new();
    let mut dims = (0, 0);
    let info = for_each_frame(path, |_, p| {
        let (h, w) = (p.height / downscale, p.width / downscale);
        if dims == (0, 0) {
            dims = (h, w);
        } else if dims != (h, w) {
            return Err(Error::bad_file(path, "frame size changes within the video"));
        }
        let area = (downscale * downscale) as f64;
        for i in 0..h {
            for j in 0..w {
                let mut acc = [0.0; 3];
                for di in 0..downscale {
                    for dj in 0..downscale {
                        let rgb = p.rgb(i * downscale + di, j * downscale + dj);
                        acc.iter_mut().zip(rgb).for_each(|(a, c)| *a += c);
                    }
                }
                frames.extend(acc.iter().map(|a| (a / area * 255.0).round() as u8));
            }
        }
        Ok(())
    })?;
    let (h, w) = dims;
    let frames = Array4::from_shape_vec((info.n_frames, h, w, 3), frames)
        .map_err(|e| Error::bad_file(path, format!("decoded frames: {e}")))?;
    Ok(Video {
        frames,
        fps: info.fps,
    })
}

impl Video {
    /// `(n_frames, height, width)`.
    pub fn dims(&self) -> (usize, usize, usize) {
        let (n, h, w, _) = self.frames.dim();
        (n, h, w)
    }

    /// Snapshot matrix `[height * width * 3, n_frames]` in faer's layout, pixel values 0..255
    /// (column `k` = frame `k` flattened in `[row, column, channel]` order).
    pub fn snapshot_matrix(&self) -> faer::Mat<f64> {
        let (n, h, w) = self.dims();
        let flat = self
            .frames
            .as_slice()
            .map(|s| s.to_vec())
            .unwrap_or_else(|| self.frames.iter().copied().collect());
        let per = h * w * 3;
        faer::Mat::from_fn(per, n, |p, k| f64::from(flat[k * per + p]))
    }
}

/// Frames `[n, height, width, 3]` from snapshots `[height * width * 3, n]` (e.g. an SVD
/// reconstruction), clipped to 0..255 and rounded as the original notebook did.
pub fn frames_from_snapshots(
    snapshots: ArrayView2<f64>,
    height: usize,
    width: usize,
) -> Result<Array4<u8>> {
    let per = height * width * 3;
    if snapshots.nrows() != per {
        return Err(Error::shape(
            "video snapshots",
            format!("[{per}, n_frames]"),
            format!("{:?}", snapshots.shape()),
        ));
    }
    let n = snapshots.ncols();
    Ok(Array4::from_shape_fn(
        (n, height, width, 3),
        |(k, i, j, c)| {
            snapshots[[(i * width + j) * 3 + c, k]]
                .clamp(0.0, 255.0)
                .round() as u8
        },
    ))
}

/// Per-frame mean of each RGB channel, `[n_frames, 3]` (a quick look at a video's dynamics).
pub fn channel_means(frames: &Array4<u8>) -> Array2<f64> {
    let (n, h, w, _) = frames.dim();
    Array2::from_shape_fn((n, 3), |(k, c)| {
        let s: u64 = (0..h)
            .flat_map(|i| (0..w).map(move |j| (i, j)))
            .map(|(i, j)| u64::from(frames[[k, i, j, c]]))
            .sum();
        s as f64 / (h * w) as f64
    })
}
