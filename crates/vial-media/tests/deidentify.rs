//! `deidentify` through the public API: crops, obscured regions, refused regions.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use image::{GenericImageView, ImageFormat, Rgb, RgbImage};
use vial_media::{Limits, MAX_BLUR_REGIONS, MediaError, Rect, deidentify, sanitize};
use vial_testkit::images::*;

/// A sanitized photo: 200 × 100, a fine black-and-white checkerboard (the "identifying
/// detail") on a grey background with a red block in the top-left corner.
fn photo() -> Vec<u8> {
    let picture = RgbImage::from_fn(200, 100, |x, y| {
        if x < 16 && y < 16 {
            RED
        } else if (100..180).contains(&x) && (20..80).contains(&y) {
            if (x / 2 + y / 2) % 2 == 0 {
                Rgb([0, 0, 0])
            } else {
                Rgb([255, 255, 255])
            }
        } else {
            Rgb([128, 128, 128])
        }
    });
    let camera = camera_jpeg(&picture, Some(1));
    sanitize(&camera, &Limits::default()).unwrap().bytes
}

fn rect(x: f64, y: f64, w: f64, h: f64) -> Rect {
    Rect::new(x, y, w, h).unwrap()
}

/// Mean absolute difference between horizontally adjacent pixels: high for the checkerboard,
/// near zero once it is obscured.
fn detail(image: &RgbImage, xs: std::ops::Range<u32>, ys: std::ops::Range<u32>) -> f64 {
    let mut sum = 0u64;
    let mut n = 0u64;
    for y in ys {
        for x in xs.start..xs.end - 1 {
            let (a, b) = (image.get_pixel(x, y)[0], image.get_pixel(x + 1, y)[0]);
            sum += u64::from(a.abs_diff(b));
            n += 1;
        }
    }
    sum as f64 / n as f64
}

#[test]
fn plain_copy_is_a_jpeg_without_metadata() {
    let out = deidentify(&photo(), None, &[]).unwrap();
    assert_no_metadata(&out);
    let copy = decode_as(&out, ImageFormat::Jpeg);
    assert_eq!(copy.dimensions(), (200, 100));
}

#[test]
fn crop_takes_the_requested_part() {
    // The left quarter, top half: 50 × 50 with the red block at its top-left.
    let out = deidentify(&photo(), Some(rect(0.0, 0.0, 0.25, 0.5)), &[]).unwrap();
    let copy = decode_as(&out, ImageFormat::Jpeg).to_rgb8();
    assert_eq!(copy.dimensions(), (50, 50));
    assert!(is_red(*copy.get_pixel(4, 4)));
    assert!(!is_red(*copy.get_pixel(40, 40)));

    // A crop that leaves the red block out.
    let out = deidentify(&photo(), Some(rect(0.5, 0.2, 0.4, 0.6)), &[]).unwrap();
    let copy = decode_as(&out, ImageFormat::Jpeg).to_rgb8();
    assert_eq!(copy.dimensions(), (80, 60));
    assert!(copy.pixels().all(|p| !is_red(*p)));
    assert_no_metadata(&out);
}

#[test]
fn blur_obscures_the_region_and_nothing_else() {
    let original = decode(&photo()).to_rgb8();
    let before = detail(&original, 100..180, 20..80);
    assert!(before > 100.0, "the checkerboard should be sharp: {before}");

    let out = deidentify(&photo(), None, &[rect(0.5, 0.2, 0.4, 0.6)]).unwrap();
    let copy = decode_as(&out, ImageFormat::Jpeg).to_rgb8();
    assert_eq!(copy.dimensions(), (200, 100));
    let after = detail(&copy, 100..180, 20..80);
    assert!(after < 5.0, "region still detailed: {after} (was {before})");
    // Outside the region the picture is unchanged, up to JPEG noise.
    assert!(is_red(*copy.get_pixel(4, 4)));
    let grey = copy.get_pixel(60, 60);
    assert!(grey.0.iter().all(|&c| c.abs_diff(128) < 8), "{grey:?}");
}

#[test]
fn blur_and_crop_together() {
    let out = deidentify(
        &photo(),
        Some(rect(0.4, 0.0, 0.6, 1.0)),
        &[rect(0.5, 0.2, 0.4, 0.6), rect(0.0, 0.0, 0.1, 0.2)],
    )
    .unwrap();
    let copy = decode_as(&out, ImageFormat::Jpeg).to_rgb8();
    assert_eq!(copy.dimensions(), (120, 100));
    // The blurred checkerboard now starts 80 px further left.
    assert!(detail(&copy, 20..100, 20..80) < 5.0);
}

#[test]
fn invalid_regions_are_refused() {
    for (x, y, w, h) in [
        (0.0, 0.0, 0.0, 0.5),
        (-0.1, 0.0, 0.5, 0.5),
        (0.8, 0.0, 0.3, 0.5),
        (0.0, 0.0, 1.0, 1.5),
        (f64::NAN, 0.0, 0.5, 0.5),
        (0.0, f64::INFINITY, 0.5, 0.5),
    ] {
        assert!(
            matches!(Rect::new(x, y, w, h), Err(MediaError::InvalidRegion(_))),
            "accepted ({x}, {y}, {w}, {h})"
        );
    }
    // Valid as numbers, but thinner than a pixel of this 200 × 100 picture.
    let sliver = rect(0.5, 0.5, 1e-18, 0.5);
    assert!(matches!(
        deidentify(&photo(), Some(sliver), &[]),
        Err(MediaError::InvalidRegion(_))
    ));
    assert!(matches!(
        deidentify(&photo(), None, &[sliver]),
        Err(MediaError::InvalidRegion(_))
    ));
    let many = vec![rect(0.0, 0.0, 0.1, 0.1); MAX_BLUR_REGIONS + 1];
    assert!(matches!(
        deidentify(&photo(), None, &many),
        Err(MediaError::InvalidRegion(_))
    ));
}

#[test]
fn non_images_are_refused() {
    assert_eq!(
        deidentify(b"plain text", None, &[]),
        Err(MediaError::UnsupportedType)
    );
    let photo = photo();
    assert!(matches!(
        deidentify(&photo[..photo.len() / 2], None, &[]),
        Err(MediaError::Undecodable(_))
    ));
}
