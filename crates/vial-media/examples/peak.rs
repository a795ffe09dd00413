//! Peak memory of one `sanitize` call, measured from outside with `/usr/bin/time -v`:
//!
//! ```sh
//! cargo run --release -p vial-media --example peak -- generate /tmp/p1.jpg 1
//! cargo run --release -p vial-media --example peak -- generate /tmp/p6.jpg 6
//! /usr/bin/time -v target/release/examples/peak sanitize /tmp/p1.jpg   # "Maximum resident…"
//! /usr/bin/time -v target/release/examples/peak baseline /tmp/p1.jpg  # reading the file only
//! ```
//!
//! `generate` writes a 4000 × 3000 noisy camera JPEG (about 8 MB, quality 95) with EXIF
//! orientation 1 or 6; `profile-bomb` writes a small PNG whose `iCCP` colour profile inflates to
//! the given number of MiB; `sanitize` reads a file and sanitizes it once; `baseline` only reads
//! it, so the difference between the two is what sanitizing costs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a measuring tool fails loudly

use vial_testkit::images;

use std::io::Write;

use image::ImageEncoder;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: peak generate PATH ORIENTATION | peak profile-bomb PATH MIB | \
                 peak sanitize PATH | peak baseline PATH";
    let (command, path) = (args.get(1).expect(usage), args.get(2).expect(usage));
    let mut err = std::io::stderr();
    match command.as_str() {
        "generate" => {
            let orientation: u16 = args.get(3).expect(usage).parse().unwrap();
            let picture = images::scene(4000, 3000, 9, 42);
            let bytes = images::camera_jpeg_quality(&picture, Some(orientation), 95);
            std::fs::write(path, &bytes).unwrap();
            writeln!(err, "wrote {} bytes", bytes.len()).unwrap();
        }
        "profile-bomb" => {
            let mib: usize = args.get(3).expect(usage).parse().unwrap();
            let mut profile = vec![0u8; mib << 20];
            profile[16..20].copy_from_slice(b"RGB ");
            let picture = images::scene(64, 48, 9, 42);
            let mut bytes = Vec::new();
            let mut encoder = image::codecs::png::PngEncoder::new(&mut bytes);
            encoder.set_icc_profile(profile).unwrap();
            encoder
                .write_image(picture.as_raw(), 64, 48, image::ExtendedColorType::Rgb8)
                .unwrap();
            std::fs::write(path, &bytes).unwrap();
            writeln!(err, "wrote {} bytes", bytes.len()).unwrap();
        }
        "sanitize" => {
            let bytes = std::fs::read(path).unwrap();
            let started = std::time::Instant::now();
            let out = vial_media::sanitize(&bytes, &vial_media::Limits::default());
            writeln!(err, "{out:?} in {:?}", started.elapsed()).unwrap();
        }
        "baseline" => {
            let bytes = std::fs::read(path).unwrap();
            writeln!(err, "read {} bytes", bytes.len()).unwrap();
        }
        _ => panic!("{usage}"),
    }
}
