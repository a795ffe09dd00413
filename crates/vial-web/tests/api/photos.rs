//! Clinical photos through the real HTTPS stack, on SQLite and PostgreSQL: metadata stripped and
//! pictures upright; access per the SPEC §2 matrix (staff, admins and off-team providers refused
//! and audited); the photography consent required; hostile uploads refused precisely with no row
//! and no blob left; nothing under the data dir in clear; soft deletion; marketing exports only
//! with marketing consent and re-authentication; streamed views (the sanitized upload byte for
//! byte with its `Content-Length`; a tampered blob aborts the body after its authentic chunks,
//! the view still audited); and a round trip through S3 (Garage).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use vial_testkit::garage;

use std::path::Path;

use image::{ImageEncoder, Rgb, RgbImage};
use img_parts::Bytes;
use serde_json::{Value, json};
use vial_app::{Clock, ORPHAN_GRACE, PhotoLimits, Role};
use vial_testkit::both_backends;
use vial_testkit::images::{assert_no_metadata, contains, exif_jpeg, is_red, jpeg, textured};
use vial_testkit::server::{MINUTE, PASSWORD, Server, TestUser, spawn_with_photos};

/// The upload limit of these tests' servers (the default is 25 MiB).
const LIMIT: usize = 2 * 1024 * 1024;

struct Clinic {
    s: Server,
    patient: String,
    /// A patient who signed no photography consent.
    unconsented: String,
    provider: TestUser,
    off_team: TestUser,
    staff: TestUser,
    admin: TestUser,
    patient_user: TestUser,
    other_patient_user: TestUser,
}

struct Tokens {
    provider: String,
    off_team: String,
    staff: String,
    admin: String,
    patient: String,
    other_patient: String,
}

async fn clinic(pg: bool) -> Clinic {
    clinic_on(spawn_with_photos(pg, limits(), None).await).await
}

fn limits() -> PhotoLimits {
    PhotoLimits {
        max_bytes: LIMIT,
        ..PhotoLimits::DEFAULT
    }
}

async fn clinic_on(s: Server) -> Clinic {
    let staff = s.add_user("ph.desk@example.com", Role::Staff, None).await;
    let admin = s.add_user("ph.owner@example.com", Role::Admin, None).await;
    let provider = s.add_user("ph.np@example.com", Role::Provider, None).await;
    let off_team = s.add_user("ph.md@example.com", Role::Provider, None).await;
    let staff_token = s.token(&staff).await;
    let admin_token = s.token(&admin).await;
    for kind in ["photography", "marketing"] {
        let (status, body) = s
            .post(
                "/api/v1/consent-forms",
                Some(&admin_token),
                json!({"kind": kind, "version": "v1", "text": "I consent."}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let mut ids = Vec::new();
    for given in ["Phota", "Nophota"] {
        let (status, body) = s
            .post(
                "/api/v1/patients",
                Some(&staff_token),
                json!({"given": given, "family": "Phototest", "dob": "1985-06-07"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_str().unwrap().to_owned();
        let (status, _) = s
            .post(
                &format!("/api/v1/patients/{id}/care-team"),
                Some(&staff_token),
                s.reauthenticated(&staff, json!({"provider_id": provider.id})),
            )
            .await;
        assert_eq!(status, 204);
        ids.push(id);
    }
    let (patient, unconsented) = (ids[0].clone(), ids[1].clone());
    sign(&s, &staff_token, &patient, "photography").await;
    // A marketing consent alone does not allow clinical photography.
    sign(&s, &staff_token, &unconsented, "marketing").await;
    let patient_user = s
        .add_user("phota@example.com", Role::Patient, Some(&patient))
        .await;
    let other_patient_user = s
        .add_user("nophota@example.com", Role::Patient, Some(&unconsented))
        .await;
    Clinic {
        s,
        patient,
        unconsented,
        provider,
        off_team,
        staff,
        admin,
        patient_user,
        other_patient_user,
    }
}

async fn sign(s: &Server, token: &str, patient: &str, kind: &str) {
    let (status, body) = s
        .post(
            &format!("/api/v1/patients/{patient}/consents"),
            Some(token),
            json!({"kind": kind, "form_version": "v1",
                   "signature": {"type": "typed", "name": "Phota Phototest"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

impl Clinic {
    async fn tokens(&self) -> Tokens {
        Tokens {
            provider: self.s.token(&self.provider).await,
            off_team: self.s.token(&self.off_team).await,
            staff: self.s.token(&self.staff).await,
            admin: self.s.token(&self.admin).await,
            patient: self.s.token(&self.patient_user).await,
            other_patient: self.s.token(&self.other_patient_user).await,
        }
    }

    /// Uploads `file` for `patient`; returns the status and JSON body.
    async fn upload(
        &self,
        token: &str,
        patient: &str,
        file: &[u8],
        fields: &[(&str, &str)],
    ) -> (u16, Value) {
        let (content_type, body) = multipart(file, fields);
        let r = self
            .s
            .client
            .post(format!("{}/api/v1/patients/{patient}/photos", self.s.base))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// GET returning status, headers and raw bytes.
    async fn fetch(&self, path: &str, token: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let r = self
            .s
            .client
            .get(format!("{}{path}", self.s.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.bytes().await.unwrap().to_vec())
    }

    async fn export(&self, token: &str, photo: &str, body: Value) -> reqwest::Response {
        self.s
            .client
            .post(format!(
                "{}/api/v1/photos/{photo}/marketing-export",
                self.s.base
            ))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn photo_count(&self) -> usize {
        let mut tx = self.s.app.store().begin_read().await.unwrap();
        let mut n = 0;
        for p in [&self.patient, &self.unconsented] {
            n += tx
                .photos_of_patient(&p.as_str().into())
                .await
                .unwrap()
                .len();
        }
        n
    }
}

/// A `multipart/form-data` body with `fields` and the file part last.
fn multipart(file: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "vialTestBoundary7d9f2c";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Jane_Roe_face.jpg\"\r\n\
             Content-Type: image/jpeg\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

const FRONT: &[(&str, &str)] = &[("view", "front"), ("body_area", "face")];

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn blob_files(s: &Server) -> usize {
    ["photos", "thumbs"]
        .iter()
        .map(|kind| {
            std::fs::read_dir(s.data_root.join("blobs").join(kind))
                .map(|d| d.count())
                .unwrap_or(0)
        })
        .sum()
}

/// A phone photo taken sideways (EXIF orientation 6) comes back upright without any metadata,
/// typed and named by its id only; the patient sees their own; the list describes it.
async fn upload_strips_metadata_and_turns_upright(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    // Stored 64×48 sideways; orientation 6 means "turn 90° clockwise to view".
    let original = exif_jpeg(&textured(64, 48), 6);
    let (status, body) = c
        .upload(
            &t.provider,
            &c.patient,
            &original,
            &[
                ("view", "left_45"),
                ("body_area", "lips"),
                ("phase", "before"),
            ],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ph_"), "{id}");

    for token in [&t.provider, &t.patient] {
        let (status, headers, bytes) = c
            .fetch(&format!("/api/v1/photos/{id}/content"), token)
            .await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "image/jpeg");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(
            headers["content-disposition"],
            format!("inline; filename=\"{id}.jpg\"").as_str()
        );
        assert_no_metadata(&bytes);
        let picture = image::load_from_memory(&bytes).unwrap().to_rgb8();
        assert_eq!(picture.dimensions(), (48, 64), "turned upright");
        // Turned clockwise, the sensor's top-left marker is now at the top-right.
        assert!(is_red(*picture.get_pixel(40, 4)), "marker at top-right");
        assert!(!is_red(*picture.get_pixel(4, 4)));

        let (status, headers, thumb) = c
            .fetch(&format!("/api/v1/photos/{id}/thumbnail"), token)
            .await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "image/jpeg");
        assert_no_metadata(&thumb);
        image::load_from_memory(&thumb).unwrap();
    }

    let (status, list) =
        c.s.get(
            &format!("/api/v1/patients/{}/photos", c.patient),
            Some(&t.provider),
        )
        .await;
    assert_eq!(status, 200, "{list}");
    let photo = &list["photos"][0];
    assert_eq!(photo["id"], id.as_str());
    assert_eq!(photo["view"], "left_45");
    assert_eq!(photo["body_area"], "lips");
    assert_eq!(photo["phase"], "before");
    assert_eq!(
        (photo["width"].as_i64(), photo["height"].as_i64()),
        (Some(48), Some(64))
    );
    let (status, _) =
        c.s.get(
            &format!("/api/v1/patients/{}/photos", c.patient),
            Some(&t.patient),
        )
        .await;
    assert_eq!(status, 200);

    let audit = c.s.audit().await;
    let views = audit
        .iter()
        .filter(|(a, o, p)| a == "photo.view" && o == "allowed" && p.as_deref() == Some(&c.patient))
        .count();
    assert_eq!(views, 2, "every view audited");
}

/// Staff, admins, providers off the care team and other patients are refused (403) on every
/// photo route, each refusal audited; unknown photos are 404.
async fn refused_by_role_and_audited(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let (status, body) = c
        .upload(&t.provider, &c.patient, &jpeg(&textured(32, 32), 90), FRONT)
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let before = c.s.audit().await.len();
    for token in [&t.staff, &t.admin, &t.off_team, &t.other_patient] {
        for part in ["content", "thumbnail"] {
            let (status, _, bytes) = c.fetch(&format!("/api/v1/photos/{id}/{part}"), token).await;
            assert_eq!(status, 403, "{part}");
            assert!(!bytes.starts_with(&[0xFF, 0xD8]));
        }
        let (status, _) =
            c.s.get(
                &format!("/api/v1/patients/{}/photos", c.patient),
                Some(token),
            )
            .await;
        assert_eq!(status, 403);
    }
    let denied = c.s.audit().await[before..]
        .iter()
        .filter(|(_, outcome, _)| outcome == "denied")
        .count();
    assert_eq!(denied, 12, "every refusal audited");
    for token in [&t.staff, &t.admin, &t.off_team, &t.patient] {
        let (status, _) = c
            .upload(token, &c.patient, &jpeg(&textured(32, 32), 90), FRONT)
            .await;
        assert_eq!(status, 403, "only the care team captures");
    }
    // A photo that does not exist is refused like one of another patient's.
    let (status, _, _) = c
        .fetch("/api/v1/photos/ph_nosuchphoto/content", &t.provider)
        .await;
    assert_eq!(status, 403);
    assert_eq!(c.photo_count().await, 1);
}

/// An actor who may not capture is refused before the upload's body is read: the 403 arrives
/// while the client is still holding back the rest of a large body, which the server would
/// otherwise have waited for and taken in.
async fn refused_uploads_are_answered_before_the_body(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    for token in [&t.patient, &t.staff] {
        let before = c.s.audit().await.len();
        let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
        let head = "--cut\r\nContent-Disposition: form-data; name=\"file\"; \
                    filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n";
        let mut first = head.as_bytes().to_vec();
        first.extend(std::iter::repeat_n(0xA5_u8, 64 * 1024));
        sender.send(Ok(first)).await.unwrap();
        let body = futures_util::stream::unfold(receiver, |mut r| async move {
            r.recv().await.map(|chunk| (chunk, r))
        });
        let request =
            c.s.client
                .post(format!("{}/api/v1/patients/{}/photos", c.s.base, c.patient))
                .bearer_auth(token)
                .header("content-type", "multipart/form-data; boundary=cut")
                .body(reqwest::Body::wrap_stream(body))
                .send();
        // The rest of the body is never sent while `sender` lives: only an answer given before
        // reading it arrives within the deadline.
        let response = tokio::time::timeout(std::time::Duration::from_secs(20), request)
            .await
            .expect("the refusal waited for the body")
            .unwrap();
        assert_eq!(response.status(), 403);
        drop(sender);
        let denied = c.s.audit().await[before..]
            .iter()
            .any(|(action, outcome, _)| action == "photo.capture" && outcome == "denied");
        assert!(denied, "the early refusal is recorded");
    }
    assert_eq!(c.photo_count().await, 0);
}

/// Without an active photography consent (a marketing consent is not one) a capture is refused
/// with `no_photography_consent`, audited as denied, nothing stored; revoking the consent stops
/// further captures.
async fn photography_consent_required(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let (status, body) = c
        .upload(
            &t.provider,
            &c.unconsented,
            &jpeg(&textured(32, 32), 90),
            FRONT,
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no_photography_consent"),
        "{body}"
    );
    let audit = c.s.audit().await;
    let last = audit.last().unwrap();
    assert_eq!(
        (last.0.as_str(), last.1.as_str(), last.2.as_deref()),
        ("photo.capture", "denied", Some(c.unconsented.as_str()))
    );
    assert!(
        !audit.iter().any(|(a, o, p)| a == "photo.capture"
            && o == "allowed"
            && p.as_deref() == Some(&c.unconsented)),
        "no allowed capture recorded"
    );
    assert_eq!(c.photo_count().await, 0);
    assert_eq!(blob_files(&c.s), 0);

    // Revoked: refused again.
    let (_, list) =
        c.s.get(
            &format!("/api/v1/patients/{}/consents", c.patient),
            Some(&t.provider),
        )
        .await;
    let consent = list["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "photography")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        c.s.post(
            &format!("/api/v1/consents/{consent}/revoke"),
            Some(&t.patient),
            json!({})
        )
        .await
        .0,
        204
    );
    let (status, _) = c
        .upload(&t.provider, &c.patient, &jpeg(&textured(32, 32), 90), FRONT)
        .await;
    assert_eq!(status, 403);
    assert_eq!(c.photo_count().await, 0);
}

/// A PNG whose header declares `width`×`height` (a decompression bomb when large).
fn declared_png(width: u32, height: u32) -> Vec<u8> {
    let mut small = Vec::new();
    image::codecs::png::PngEncoder::new(&mut small)
        .write_image(&[0u8; 3], 1, 1, image::ExtendedColorType::Rgb8)
        .unwrap();
    let mut png = img_parts::png::Png::from_bytes(Bytes::from(small)).unwrap();
    let ihdr = png.chunks_mut().first_mut().unwrap();
    let mut contents = ihdr.contents().to_vec();
    contents[0..4].copy_from_slice(&width.to_be_bytes());
    contents[4..8].copy_from_slice(&height.to_be_bytes());
    *ihdr = img_parts::png::PngChunk::new(*b"IHDR", Bytes::from(contents));
    let mut out = Vec::new();
    png.encoder().write_to(&mut out).unwrap();
    out
}

/// The opening of a HEIC file as iPhones write it: the `ftyp` box (major brand `heic`, their
/// six compatible brands), then `meta` up to its `pict` handler.
const IPHONE_HEIC_HEAD: &[u8] = b"\0\0\0\x28ftypheic\0\0\0\0mif1MiHEMiPrmiafMiHBheic\
\0\0\0\x2dmeta\0\0\0\0\0\0\0\x21hdlr\0\0\0\0\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// Truncated, mislabelled, oversized and bomb images are refused with the right status before
/// anything is stored: no row, no blob. Bad description fields are 422. HEIC on a server built
/// without HEIC support is 415 with a message saying what to upload instead.
async fn hostile_uploads_leave_nothing(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let good = jpeg(&textured(64, 64), 90);
    let truncated = good[..good.len() / 2].to_vec();
    let text = b"Patient: Jane Roe. Not a picture at all, despite its .jpg name.".to_vec();
    let oversized = {
        let mut big = good.clone();
        big.resize(LIMIT + 1, 0);
        big
    };
    let bomb = declared_png(100_000, 100_000);
    for (file, expected, what) in [
        (&truncated, 422, "truncated"),
        (&text, 415, "text named .jpg"),
        (&oversized, 413, "over the limit"),
        (&bomb, 422, "decompression bomb"),
    ] {
        let (status, body) = c.upload(&t.provider, &c.patient, file, FRONT).await;
        assert_eq!(status, expected, "{what}: {body}");
        assert!(body["error"]["code"].is_string(), "{what}: JSON error");
    }
    let heic = IPHONE_HEIC_HEAD.to_vec();
    let (status, body) = c.upload(&t.provider, &c.patient, &heic, FRONT).await;
    if vial_app::HEIC_SUPPORTED {
        // Recognized and handed to libheif, which finds only the head of a file.
        assert_eq!(status, 422, "{body}");
    } else {
        assert_eq!(status, 415, "{body}");
        assert_eq!(body["error"]["code"], "unsupported_media_type");
        assert_eq!(
            body["error"]["message"],
            "HEIC photos need a server built with HEIC support; upload a JPEG or PNG"
        );
    }
    for fields in [
        &[("view", "sideways"), ("body_area", "face")][..],
        &[("view", "front"), ("body_area", "elbow")][..],
        &[
            ("view", "front"),
            ("body_area", "face"),
            ("phase", "during"),
        ][..],
        &[("body_area", "face")][..],
        &[
            ("view", "front"),
            ("body_area", "face"),
            ("treatment_id", "trt_nope"),
        ][..],
    ] {
        let (status, body) = c.upload(&t.provider, &c.patient, &good, fields).await;
        assert_eq!(status, 422, "{fields:?}: {body}");
    }
    assert_eq!(c.photo_count().await, 0, "no row");
    assert_eq!(blob_files(&c.s), 0, "no blob");
    // And a good one is accepted afterwards.
    assert_eq!(c.upload(&t.provider, &c.patient, &good, FRONT).await.0, 201);
    assert_eq!(blob_files(&c.s), 2);
}

/// Nothing under the data dir (database, WAL, blobs) holds the picture in clear: no file starts
/// with a JPEG or PNG signature, and no run of the uploaded bytes appears anywhere.
async fn data_dir_holds_no_clear_image(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let original = jpeg(&textured(400, 300), 90);
    let (status, body) = c.upload(&t.provider, &c.patient, &original, FRONT).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap();
    let (_, _, served) = c
        .fetch(&format!("/api/v1/photos/{id}/content"), &t.provider)
        .await;
    // Upright without metadata, the stored picture is the upload minus its JFIF header: its
    // entropy-coded data is byte-identical, so runs of it are what to look for.
    let needles: Vec<&[u8]> = (1..8)
        .map(|i| &served[served.len() * i / 8..served.len() * i / 8 + 48])
        .collect();
    let files = files_under(&c.s.data_root);
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(c.s.data_root.join("blobs")))
    );
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) && !bytes.starts_with(b"\x89PNG"),
            "{} starts with an image signature",
            file.display()
        );
        for needle in &needles {
            assert!(
                !contains(&bytes, needle),
                "{} holds image bytes",
                file.display()
            );
        }
        assert!(!contains(&bytes, b"left_45") && !contains(&bytes, b"\"face\""));
    }
}

/// A provider deletes a photo: it leaves views and lists (404), others may not delete it, and
/// its sealed blobs are kept for the retention period.
async fn soft_delete_keeps_blobs(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let (_, body) = c
        .upload(&t.provider, &c.patient, &jpeg(&textured(32, 32), 90), FRONT)
        .await;
    let id = body["id"].as_str().unwrap().to_owned();
    let delete = |token: String| {
        let url = format!("{}/api/v1/photos/{id}", c.s.base);
        let client = c.s.client.clone();
        async move {
            client
                .delete(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for token in [&t.staff, &t.admin, &t.patient, &t.off_team] {
        assert_eq!(delete(token.clone()).await, 403);
    }
    assert_eq!(delete(t.provider.clone()).await, 204);
    assert_eq!(delete(t.provider.clone()).await, 404, "once");
    for token in [&t.provider, &t.patient] {
        let (status, _, _) = c
            .fetch(&format!("/api/v1/photos/{id}/content"), token)
            .await;
        assert_eq!(status, 404);
    }
    let (_, list) =
        c.s.get(
            &format!("/api/v1/patients/{}/photos", c.patient),
            Some(&t.provider),
        )
        .await;
    assert_eq!(list["photos"].as_array().unwrap().len(), 0);
    assert_eq!(blob_files(&c.s), 2, "blobs kept for retention");
    let audit = c.s.audit().await;
    assert!(
        audit
            .iter()
            .any(|(a, o, _)| a == "photo.delete" && o == "allowed")
    );
}

/// Blobs that no photo row names (an upload interrupted between storing its blobs and
/// committing its row) are swept once older than the grace period: recorded first, then
/// deleted; a dry run only records. Live photos and deleted photos (kept for retention) keep
/// their blobs, and young orphans are left to the upload that may still commit their row.
async fn orphaned_blobs_are_swept(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (status, body) = c
            .upload(&t.provider, &c.patient, &jpeg(&textured(32, 32), 90), FRONT)
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let (kept, deleted) = (&ids[0], &ids[1]);
    let url = format!("{}/api/v1/photos/{deleted}", c.s.base);
    let status = c.s.client.delete(url).bearer_auth(&t.provider).send().await;
    assert_eq!(status.unwrap().status(), 204);
    // What a crash between the blobs and the row leaves behind: a sealed picture and thumbnail
    // (copies of the kept photo's) under an id no row has.
    let blobs = vial_blob::BlobStore::local(c.s.data_root.join("blobs")).unwrap();
    let orphan = vial_blob::BlobId::parse("ph_orphan").unwrap();
    let source = vial_blob::BlobId::parse(kept).unwrap();
    for kind in vial_blob::BlobKind::ALL {
        let sealed = blobs.get_bytes(kind, &source).await.unwrap();
        blobs.put(kind, &orphan, sealed).await.unwrap();
    }
    assert_eq!(blob_files(&c.s), 6);

    // The app's clock set to an hour after the blobs were written: the orphan is young.
    let written_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let shift = written_ms + 3_600_000 - c.s.clock.now_ms();
    c.s.clock.advance_ms(shift);
    let sweep = |dry_run| {
        c.s.system
            .sweep_orphaned_blobs("test", ORPHAN_GRACE, dry_run)
    };
    let young = sweep(false).await.unwrap();
    assert_eq!((young.checked, young.orphaned, young.deleted), (6, 0, 0));
    assert_eq!(blob_files(&c.s), 6);

    c.s.clock.advance_ms(24 * 3_600_000);
    let dry = sweep(true).await.unwrap();
    assert_eq!((dry.checked, dry.orphaned, dry.deleted), (6, 2, 0));
    assert_eq!(blob_files(&c.s), 6, "a dry run deletes nothing");
    let swept = sweep(false).await.unwrap();
    assert_eq!((swept.checked, swept.orphaned, swept.deleted), (6, 2, 2));
    assert_eq!(
        blob_files(&c.s),
        4,
        "the live and the deleted photo keep theirs"
    );
    for kind in vial_blob::BlobKind::ALL {
        assert!(!blobs.exists(kind, &orphan).await.unwrap());
    }
    let again = sweep(false).await.unwrap();
    assert_eq!((again.orphaned, again.deleted), (0, 0));
    let audit = c.s.audit().await;
    let sweeps = audit
        .iter()
        .filter(|(a, o, p)| a == "photo.orphans_swept" && o == "allowed" && p.is_none())
        .count();
    assert_eq!(
        sweeps, 2,
        "the dry run and the sweep, nothing when none were found"
    );

    c.s.clock.advance_ms(-shift - 24 * 3_600_000);
    let (status, _, bytes) = c
        .fetch(&format!("/api/v1/photos/{kept}/content"), &t.provider)
        .await;
    assert_eq!(status, 200);
    assert!(!bytes.is_empty());
}

/// Marketing exports need the patient's marketing consent (photography is not enough) and
/// re-authentication; allowed, they return a de-identified JPEG attachment, recorded as a
/// disclosure.
async fn marketing_export_needs_consent_and_reauth(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let (_, body) = c
        .upload(
            &t.provider,
            &c.patient,
            &exif_jpeg(&textured(64, 48), 1),
            FRONT,
        )
        .await;
    let id = body["id"].as_str().unwrap().to_owned();
    c.s.next_step();
    let reauth = |c: &Clinic| {
        json!({"password": PASSWORD, "totp": c.s.code(&c.provider),
               "crop": {"x": 0.25, "y": 0.0, "width": 0.75, "height": 1.0},
               "blur": [{"x": 0.5, "y": 0.5, "width": 0.5, "height": 0.5}]})
    };

    // Photography consent only: refused, audited.
    let r = c.export(&t.provider, &id, reauth(&c)).await;
    assert_eq!(r.status().as_u16(), 403);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no_marketing_consent")
    );
    let last = c.s.audit().await.last().unwrap().clone();
    assert_eq!(
        (last.0.as_str(), last.1.as_str()),
        ("photo.marketing_export", "denied")
    );

    let staff_token = c.s.token(&c.staff).await;
    sign(&c.s, &staff_token, &c.patient, "marketing").await;

    // Without re-authentication (wrong password): refused.
    c.s.next_step();
    let r = c
        .export(
            &t.provider,
            &id,
            json!({"password": "not the password", "totp": c.s.code(&c.provider)}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 401);
    c.s.next_step();
    let r = c
        .export(&t.provider, &id, json!({"password": PASSWORD}))
        .await;
    assert_eq!(
        r.status().as_u16(),
        401,
        "a workforce account needs its code too"
    );

    // Both: a de-identified JPEG attachment.
    c.s.next_step();
    let r = c.export(&t.provider, &id, reauth(&c)).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"export-")
            && disposition.ends_with(".jpg\""),
        "{disposition}"
    );
    assert!(!disposition.contains(&id));
    let bytes = r.bytes().await.unwrap();
    assert_no_metadata(&bytes);
    let copy = image::load_from_memory(&bytes).unwrap().to_rgb8();
    assert_eq!(copy.dimensions(), (48, 48), "cropped");
    assert!(
        !copy.pixels().any(|p| is_red(*p)),
        "the marker is cropped away"
    );
    let audit = c.s.audit().await;
    assert!(audit.iter().any(|(a, o, p)| a == "photo.marketing_export"
        && o == "allowed"
        && p.as_deref() == Some(&c.patient)));

    // A patient may not export (even their own).
    let r = c
        .export(&t.patient, &id, json!({"password": PASSWORD}))
        .await;
    assert_eq!(r.status().as_u16(), 403);
    // Bad regions are 422.
    c.s.next_step();
    let r = c
        .export(&t.provider, &id, json!({"password": PASSWORD, "totp": c.s.code(&c.provider),
                                         "crop": {"x": 0.5, "y": 0.5, "width": 0.9, "height": 0.1}}))
        .await;
    assert_eq!(r.status().as_u16(), 422);
}

/// The chart's upload form: accepted only from our own origin with the page's CSRF token as the
/// first part (checked before the file is read); the page routes for pictures go through the
/// same gateway with the session cookie.
async fn page_upload_needs_csrf(pg: bool) {
    let c = clinic(pg).await;
    let signed_in = |user: &TestUser| {
        let s = &c.s;
        let email = user.email.clone();
        let totp = s.code(user);
        async move {
            s.app
                .login(vial_app::LoginRequest {
                    email,
                    password: zeroize::Zeroizing::new(PASSWORD.into()),
                    totp: Some(totp),
                    recovery_code: None,
                    device: Some("test".into()),
                    addr: None,
                    kind: vial_app::SessionKind::Browser,
                })
                .await
                .unwrap()
        }
    };
    c.s.next_step();
    let session = signed_in(&c.provider).await;
    let cookie = format!("__Host-vial-session={}", session.token.as_str());
    let client = c.s.page_client();
    let home = client
        .get(format!("{}/home", c.s.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"csrf-token\" content=\"";
    let start = home.find(marker).unwrap() + marker.len();
    let csrf = home[start..start + home[start..].find('"').unwrap()].to_owned();
    // Without HEIC support the file input asks for JPEG or PNG, which iOS Safari converts to.
    let chart = client
        .get(format!("{}/patients/{}/chart", c.s.base, c.patient))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let accept = if vial_app::HEIC_SUPPORTED {
        "accept=\"image/jpeg,image/png,image/heic,image/heif\""
    } else {
        "accept=\"image/jpeg,image/png\""
    };
    assert!(chart.contains(accept), "the photo input asks for {accept}");
    let post = |fields: Vec<(&'static str, String)>, origin: String| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (content_type, body) = multipart(&jpeg(&textured(32, 32), 90), &fields);
        client
            .post(format!("{}/patients/{}/chart/photos", c.s.base, c.patient))
            .header("cookie", &cookie)
            .header("origin", origin)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let ours = c.s.base.clone();
    let form = |token: &str| {
        vec![
            ("_csrf", token.to_owned()),
            ("view", "front".to_owned()),
            ("body_area", "face".to_owned()),
        ]
    };
    let refused = [
        (form("not-the-token"), ours.clone()),
        (form(&csrf), "https://evil.example".to_owned()),
        (form(&csrf)[1..].to_vec(), ours.clone()),
        // The token present, but not first: refused before the file would be read.
        (
            vec![
                ("view", "front".to_owned()),
                ("_csrf", csrf.clone()),
                ("body_area", "face".to_owned()),
            ],
            ours.clone(),
        ),
    ];
    for (fields, origin) in refused {
        let r = post(fields, origin).await.unwrap();
        assert_eq!(r.status().as_u16(), 403);
    }
    assert_eq!(c.photo_count().await, 0);
    assert_eq!(blob_files(&c.s), 0);

    let r = post(form(&csrf), ours).await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("/chart#photos")
    );
    assert_eq!(c.photo_count().await, 1);
    let id = {
        let mut tx = c.s.app.store().begin_read().await.unwrap();
        tx.photos_of_patient(&c.patient.as_str().into())
            .await
            .unwrap()[0]
            .id
            .clone()
    };
    for (user, expected) in [(&c.provider, 200), (&c.staff, 403), (&c.off_team, 403)] {
        c.s.next_step();
        let session = signed_in(user).await;
        let r = client
            .get(format!("{}/photos/{id}/thumbnail", c.s.base))
            .header(
                "cookie",
                format!("__Host-vial-session={}", session.token.as_str()),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), expected, "{}", user.email);
        if expected == 200 {
            assert_eq!(r.headers()["content-type"], "image/jpeg");
            assert_eq!(r.headers()["cache-control"], "no-store");
            let len: usize = r.headers()["content-length"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            let body = r.bytes().await.unwrap();
            assert_eq!(body.len(), len);
            image::load_from_memory(&body).unwrap();
        }
    }
}

/// vial-crypto's sealed blob layout: a 53-byte header, then the ciphertext in 64 KiB chunks
/// (and the tags after it).
const SEALED_HEADER: usize = 53;
const SEALED_CHUNK: usize = 64 * 1024;

/// Noise: a picture whose JPEG barely compresses, so it spans several 64 KiB sealed chunks.
fn noisy(width: u32, height: u32) -> RgbImage {
    let mut state = 0x2545_F491u32;
    RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [r, g, b, _] = state.to_le_bytes();
        Rgb([r, g, b])
    })
}

/// Uploads a several-chunk picture; returns its id and what the server stores for it.
async fn upload_several_chunks(c: &Clinic, token: &str) -> (String, vial_media::Sanitized) {
    let original = jpeg(&noisy(600, 400), 90);
    let expected = vial_media::sanitize(&original, &limits()).unwrap();
    assert!(
        expected.bytes.len() > 4 * SEALED_CHUNK,
        "several 64 KiB chunks"
    );
    assert!(!expected.reencoded);
    let (status, body) = c.upload(token, &c.patient, &original, FRONT).await;
    assert_eq!(status, 201, "{body}");
    (body["id"].as_str().unwrap().to_owned(), expected)
}

/// The content and thumbnail routes stream the sanitized upload byte for byte, announced by a
/// correct `Content-Length`, typed, named by the photo id only and not cacheable.
async fn streamed_views_are_the_sanitized_upload(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let (id, expected) = upload_several_chunks(&c, &t.provider).await;
    for token in [&t.provider, &t.patient] {
        for (part, want) in [
            ("content", &expected.bytes),
            ("thumbnail", &expected.thumbnail),
        ] {
            let (status, headers, bytes) =
                c.fetch(&format!("/api/v1/photos/{id}/{part}"), token).await;
            assert_eq!(status, 200, "{part}");
            assert_eq!(
                headers["content-length"],
                want.len().to_string().as_str(),
                "{part}"
            );
            assert_eq!(headers["content-type"], "image/jpeg");
            assert_eq!(headers["cache-control"], "no-store");
            assert_eq!(
                headers["content-disposition"],
                format!("inline; filename=\"{id}.jpg\"").as_str()
            );
            assert!(
                bytes == *want,
                "{part}: streamed bytes differ from the upload"
            );
        }
    }
}

/// Reads a response body chunk by chunk until it ends or fails: the bytes received and whether
/// it ended cleanly.
async fn read_until_failure(response: reqwest::Response) -> (Vec<u8>, bool) {
    let mut response = response;
    let mut received = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => return (received, true),
            Err(_) => return (received, false),
        }
    }
}

/// A stored blob tampered with (one ciphertext byte flipped on disk) is never served as wrong
/// bytes: the body stops after the chunks before the damaged one, and the view, which the
/// gateway allowed, is audited all the same.
async fn tampered_blob_aborts_the_body_and_is_audited(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let (id, expected) = upload_several_chunks(&c, &t.provider).await;
    let (chunk, header) = (SEALED_CHUNK, SEALED_HEADER);
    let blobs = c.s.data_root.join("blobs");
    for (kind, at) in [("photos", header + 2 * chunk + 17), ("thumbs", header + 3)] {
        let path = blobs.join(kind).join(&id);
        let mut stored = std::fs::read(&path).unwrap();
        stored[at] ^= 0x40;
        std::fs::write(&path, &stored).unwrap();
    }

    let views = |audit: &[(String, String, Option<String>)], action: &str| {
        audit
            .iter()
            .filter(|(a, o, p)| a == action && o == "allowed" && p.as_deref() == Some(&c.patient))
            .count()
    };
    let before = c.s.audit().await;
    for (part, want, authentic) in [
        ("content", &expected.bytes, 2 * chunk),
        ("thumbnail", &expected.thumbnail, 0),
    ] {
        let sent =
            c.s.client
                .get(format!("{}/api/v1/photos/{id}/{part}", c.s.base))
                .bearer_auth(&t.provider)
                .send()
                .await;
        // The view was authorized before anything was read, so the response starts as a 200;
        // the connection is cut where the damaged chunk is reached, which may be before the
        // head was flushed (HTTP/1.1 sends the head with the first body bytes).
        let (received, clean) = match sent {
            Err(_) => (Vec::new(), false),
            Ok(response) => {
                assert_eq!(response.status().as_u16(), 200, "{part}");
                assert_eq!(response.headers()["cache-control"], "no-store");
                read_until_failure(response).await
            }
        };
        assert!(!clean, "{part}: a damaged body must not end cleanly");
        assert!(
            received.len() <= authentic,
            "{part}: {} bytes",
            received.len()
        );
        assert!(
            want.starts_with(&received),
            "{part}: bytes other than the authentic chunks were served"
        );
    }
    let after = c.s.audit().await;
    assert_eq!(
        views(&after, "photo.view"),
        views(&before, "photo.view") + 1
    );
    assert_eq!(
        views(&after, "photo.view_thumbnail"),
        views(&before, "photo.view_thumbnail") + 1
    );
}

both_backends!(
    refused_uploads_are_answered_before_the_body,
    streamed_views_are_the_sanitized_upload,
    tampered_blob_aborts_the_body_and_is_audited,
    page_upload_needs_csrf,
    upload_strips_metadata_and_turns_upright,
    refused_by_role_and_audited,
    photography_consent_required,
    hostile_uploads_leave_nothing,
    data_dir_holds_no_clear_image,
    soft_delete_keeps_blobs,
    orphaned_blobs_are_swept,
    marketing_export_needs_consent_and_reauth,
);

/// Photo storage off this machine is used only under a vendor's BAA in force: one that
/// expires while the server runs (the injected clock) shows on the admin home at once, and the
/// gate refuses the next photo write with an error naming the host, recorded in the audit log.
async fn a_baa_that_expires_while_running_blocks_the_next_photo_write(pg: bool) {
    // Photo storage off this machine; nothing listens there: the gate decides before a request.
    let config = vial_blob::S3Config {
        endpoint: Some("https://s3.vial.test:9".into()),
        region: "us-east-1".into(),
        bucket: "photos".into(),
        access_key_id: "GKtest".into(),
        secret_access_key: secrecy::SecretString::from("test-secret".to_owned()),
        ca_pem: None,
    };
    let blobs = vial_blob::BlobStore::s3(&config).unwrap();
    let c = clinic_on(spawn_with_photos(pg, limits(), Some(blobs)).await).await;
    let t = c.tokens().await;
    let refused = c.s.system.check_egress("system:test").await.unwrap_err();
    assert!(
        refused.to_string().starts_with("s3.vial.test: no vendor"),
        "{refused}"
    );

    // In force through today (the test clock's 2027-01-15), and not a day longer.
    let vendor = vial_app::NewVendor {
        name: "Bucket Co".into(),
        service: "storage".into(),
        hosts: vec!["s3.vial.test".into()],
        region: "us".into(),
        baa_signed: "2026-01-01".into(),
        baa_expires: "2027-01-15".into(),
        baa_document: None,
    };
    let added = c.s.system.add_vendor(vendor, "system:test").await.unwrap();
    c.s.system.check_egress("system:test").await.unwrap();
    let mut browser = crate::pages::Browser::new(&c.s);
    assert_eq!(browser.login(&c.admin).await.status, 303);
    let home = browser.get("/home").await;
    assert!(
        home.body
            .contains("The BAA with Bucket Co expires in 0 days"),
        "{}",
        home.body
    );
    assert!(
        !home.body.contains("data-alert=\"problem\""),
        "{}",
        home.body
    );

    c.s.clock.advance_ms(24 * 60 * MINUTE);
    // A day later every session has timed out: sign in again.
    let mut browser = crate::pages::Browser::new(&c.s);
    assert_eq!(browser.login(&c.admin).await.status, 303);
    let home = browser.get("/home").await;
    assert!(
        home.body
            .contains("The BAA with Bucket Co expired on 2027-01-15")
            && home.body.contains("Photo storage is blocked"),
        "{}",
        home.body
    );
    let original = exif_jpeg(&textured(64, 48), 1);
    let t = Tokens {
        provider: c.s.token(&c.provider).await,
        ..t
    };
    let (status, body) = c.upload(&t.provider, &c.patient, &original, FRONT).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "egress_refused");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "s3.vial.test: the Business Associate Agreement of vendor {} is not in force",
            added.id
        )) && message.contains("vial vendor renew"),
        "{message}"
    );
    assert_eq!(c.photo_count().await, 0);
    let audit = c.s.audit().await;
    assert!(
        audit
            .iter()
            .any(|(a, o, _)| a == "egress.check" && o == "allowed")
    );
    assert!(
        audit
            .iter()
            .any(|(a, o, p)| a == "egress.check" && o == "denied" && p.is_none())
    );
}

both_backends!(a_baa_that_expires_while_running_blocks_the_next_photo_write);

/// Upload and download through an App whose photos live in S3 (a Garage node): the bucket holds
/// only sealed blobs, the data dir none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_round_trip() {
    let Some(garage) = garage::Garage::start() else {
        return;
    };
    let config = vial_blob::S3Config {
        endpoint: Some(garage.s3_endpoint.clone()),
        region: garage::REGION.into(),
        bucket: garage::BUCKET.into(),
        access_key_id: garage.access_key_id.clone(),
        secret_access_key: secrecy::SecretString::from(garage.secret_access_key.clone()),
        ca_pem: None,
    };
    let blobs = vial_blob::BlobStore::s3(&config).unwrap();
    // Wait (bounded) until the fresh bucket answers.
    let probe = vial_blob::BlobId::parse("probe").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while blobs
        .exists(vial_blob::BlobKind::Photo, &probe)
        .await
        .is_err()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "bucket not usable\n{}",
            garage.logs()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let c = clinic_on(spawn_with_photos(false, limits(), Some(blobs.clone())).await).await;
    let t = c.tokens().await;
    let original = exif_jpeg(&textured(64, 48), 1);
    let (status, body) = c.upload(&t.provider, &c.patient, &original, FRONT).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let (status, headers, bytes) = c
        .fetch(&format!("/api/v1/photos/{id}/content"), &t.provider)
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_no_metadata(&bytes);
    assert_eq!(
        image::load_from_memory(&bytes)
            .unwrap()
            .to_rgb8()
            .dimensions(),
        (64, 48)
    );

    let blob = vial_blob::BlobId::parse(&id).unwrap();
    for kind in [vial_blob::BlobKind::Photo, vial_blob::BlobKind::Thumbnail] {
        let stored = blobs.get_bytes(kind, &blob).await.unwrap();
        assert!(!stored.as_bytes().starts_with(&[0xFF, 0xD8]));
        assert!(!contains(
            stored.as_bytes(),
            &bytes[bytes.len() / 2..bytes.len() / 2 + 48]
        ));
    }
    // A picture of several chunks streams from S3 (frames of whatever size the HTTP client
    // receives, gathered into chunks) byte for byte.
    let (id, expected) = upload_several_chunks(&c, &t.provider).await;
    let (status, headers, bytes) = c
        .fetch(&format!("/api/v1/photos/{id}/content"), &t.provider)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-length"],
        expected.bytes.len().to_string().as_str()
    );
    assert!(bytes == expected.bytes, "streamed from S3, byte for byte");
    assert_eq!(blob_files(&c.s), 0, "nothing in the local blob dir");
}
