//! The web UI over real HTTPS, as a browser would speak it: the `__Host-` session cookie, login
//! CSRF and fixation, CSRF on every form, timeouts and revocation making the cookie useless, and
//! pages refused by role.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;
use vial_app::Role;
use vial_testkit::server::{MINUTE, PASSWORD, Server, TestUser, spawn_app};

/// A browser's cookie jar for one site, reduced to what these tests need.
#[derive(Default, Clone)]
struct Jar {
    session: Option<String>,
    prelogin: Option<String>,
}

impl Jar {
    fn header(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.session {
            parts.push(format!("__Host-vial-session={s}"));
        }
        if let Some(p) = &self.prelogin {
            parts.push(format!("__Host-vial-prelogin={p}"));
        }
        parts.join("; ")
    }

    fn absorb(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, _) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let value = (!value.is_empty()).then(|| value.to_owned());
            match name {
                "__Host-vial-session" => self.session = value,
                "__Host-vial-prelogin" => self.prelogin = value,
                other => panic!("unexpected cookie {other}"),
            }
        }
    }
}

pub(crate) struct Browser<'a> {
    server: &'a Server,
    client: reqwest::Client,
    jar: Jar,
}

pub(crate) struct Page {
    pub(crate) status: u16,
    location: Option<String>,
    set_cookies: Vec<String>,
    pub(crate) body: String,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(server: &'a Server) -> Self {
        Self {
            server,
            client: server.page_client(),
            jar: Jar::default(),
        }
    }

    async fn finish(&mut self, response: reqwest::Response) -> Page {
        self.jar.absorb(&response);
        Page {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_owned()),
            set_cookies: response
                .headers()
                .get_all(SET_COOKIE)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect(),
            body: response.text().await.unwrap(),
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.server.base))
            .header(COOKIE, self.jar.header())
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    /// A same-origin form post, as the browser sends it from one of our pages.
    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let origin = self.server.base.clone();
        self.post_with(path, form, &[("origin", &origin)]).await
    }

    async fn post_with(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self
            .client
            .post(format!("{}{path}", self.server.base))
            .header(COOKIE, self.jar.header())
            .form(form);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        self.finish(response).await
    }

    /// A same-origin post of a ready-made body (`multipart/form-data`, say).
    pub(crate) async fn post_body(
        &mut self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.server.base))
            .header(COOKIE, self.jar.header())
            .header("origin", self.server.base.clone())
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    /// The CSRF token of the page at `path` (a signed-in page's hidden field).
    pub(crate) async fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        hidden_csrf(&page.body)
    }

    pub(crate) async fn login(&mut self, user: &TestUser) -> Page {
        let csrf = self.csrf("/login").await;
        self.server.next_step();
        let code = self.server.code(user);
        self.post(
            "/login",
            &[
                ("_csrf", &csrf),
                ("email", &user.email),
                ("password", PASSWORD),
                ("totp", &code),
            ],
        )
        .await
    }
}

/// The invitation page's form as the invited person fills it in; a page that comes back with
/// an error carries the form again, with a fresh CSRF token.
struct SetUpForm<'f> {
    link: &'f str,
    csrf: String,
    secret: &'f str,
}

impl SetUpForm<'_> {
    async fn post(
        &mut self,
        phone: &mut Browser<'_>,
        password: &str,
        again: &str,
        code: &str,
    ) -> Page {
        let fields = [
            ("_csrf", self.csrf.as_str()),
            ("password", password),
            ("password_again", again),
            ("totp_secret", self.secret),
            ("code", code),
        ];
        let page = phone.post(self.link, &fields).await;
        if page.body.contains(r#"name="_csrf""#) {
            self.csrf = hidden_csrf(&page.body);
        }
        page
    }
}

/// The password change form as a person fills it in, with a fresh code from their app.
struct PasswordForm {
    csrf: String,
    current: &'static str,
    new: &'static str,
    confirm: &'static str,
}

impl PasswordForm {
    async fn post(&self, server: &Server, browser: &mut Browser<'_>, user: &TestUser) -> Page {
        server.next_step();
        let code = server.code(user);
        let form = [
            ("_csrf", self.csrf.as_str()),
            ("current_password", self.current),
            ("code", code.as_str()),
            ("new_password", self.new),
            ("confirm_password", self.confirm),
        ];
        browser.post("/account/password", &form).await
    }
}

fn hidden_csrf(body: &str) -> String {
    let marker = r#"name="_csrf" value=""#;
    let start = body.find(marker).expect("page has a CSRF field") + marker.len();
    body[start..start + body[start..].find('"').unwrap()].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_sets_a_host_cookie_and_never_keeps_a_planted_one() {
    let server = spawn_app(false).await;
    let provider = server
        .add_user("pages.provider@example.com", Role::Provider, None)
        .await;
    let mut browser = Browser::new(&server);

    let login_page = browser.get("/login").await;
    assert_eq!(login_page.status, 200);
    let prelogin = &login_page.set_cookies[0];
    for attribute in [
        "__Host-vial-prelogin=",
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
        "Path=/",
    ] {
        assert!(prelogin.contains(attribute), "{prelogin}");
    }
    assert!(!prelogin.contains("Domain"), "{prelogin}");

    // An attacker plants a session cookie before login (fixation).
    browser.jar.session = Some("planted-by-attacker".into());
    let page = browser.login(&provider).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/home"));
    let cookie = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("__Host-vial-session="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let session = browser.jar.session.clone().unwrap();
    assert_ne!(session, "planted-by-attacker");
    assert!(session.len() >= 43, "a 256-bit token");
    assert_eq!(browser.jar.prelogin, None, "the pre-login token is dropped");

    let home = browser.get("/home").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Provider home"));
    assert!(home.body.contains(r#"data-idle-ms="900000""#));
    assert!(!home.body.contains("<script>"), "no inline script");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_form_refuses_cross_site_and_tokenless_posts() {
    let server = spawn_app(false).await;
    let staff = server
        .add_user("pages.staff@example.com", Role::Staff, None)
        .await;
    let mut browser = Browser::new(&server);
    let csrf = browser.csrf("/login").await;
    server.next_step();
    let code = server.code(&staff);
    let fields = |token: &'static str| {
        vec![
            ("_csrf", token),
            ("email", "pages.staff@example.com"),
            ("password", PASSWORD),
        ]
    };
    let csrf: &'static str = Box::leak(csrf.into_boxed_str());
    let code: &'static str = Box::leak(code.into_boxed_str());

    // From another site, token or not.
    let mut with_code = fields(csrf);
    with_code.push(("totp", code));
    let page = browser
        .post_with("/login", &with_code, &[("origin", "https://evil.example")])
        .await;
    assert_eq!(page.status, 403);
    let page = browser
        .post_with("/login", &with_code, &[("sec-fetch-site", "cross-site")])
        .await;
    assert_eq!(page.status, 403);
    // Same origin, wrong token.
    let mut wrong = fields("not-the-token");
    wrong.push(("totp", code));
    assert_eq!(browser.post("/login", &wrong).await.status, 403);
    // No pre-login cookie at all.
    let mut bare = Browser::new(&server);
    assert_eq!(bare.post("/login", &with_code).await.status, 403);
    assert!(bare.jar.session.is_none() && browser.jar.session.is_none());

    // Workforce without a code: 401, no session.
    let page = browser.post("/login", &fields(csrf)).await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("not accepted"));
    assert!(browser.jar.session.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_signed_in_form_needs_its_csrf_token_and_same_origin() {
    let server = spawn_app(false).await;
    let staff = server
        .add_user("pages.frontdesk@example.com", Role::Staff, None)
        .await;
    let mut browser = Browser::new(&server);
    assert_eq!(browser.login(&staff).await.status, 303);
    let csrf = browser.csrf("/patients/new").await;
    let patient = [
        ("given", "Csrfmarker"),
        ("family", "Qzxtestfamily"),
        ("dob", "1990-02-03"),
    ];
    let with = |token: &str| {
        let mut f: Vec<(&str, String)> = patient.iter().map(|(k, v)| (*k, v.to_string())).collect();
        f.push(("_csrf", token.to_owned()));
        f
    };
    let refused = [
        (with(""), None),
        (with("forged"), None),
        (with(&csrf), Some(("origin", "https://evil.example"))),
        (with(&csrf), Some(("sec-fetch-site", "same-site"))),
        // `Origin: null` counts only when Sec-Fetch-Site vouches for same-origin.
        (with(&csrf), Some(("origin", "null"))),
    ];
    for (fields, header) in refused {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let headers: Vec<(&str, &str)> = header.into_iter().collect();
        let page = browser.post_with("/patients/new", &fields, &headers).await;
        assert_eq!(page.status, 403, "{headers:?}");
        assert!(page.body.contains("did not come from this Vial page"));
    }
    // Nothing was registered by the refused posts.
    let search = [
        ("_csrf", csrf.as_str()),
        ("family", "Qzxtestfamily"),
        ("dob", "1990-02-03"),
    ];
    let before = browser.post("/patients/search", &search).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert!(!before.body.contains("Csrfmarker"), "{}", before.body);

    // The real form works, and its token is the page's.
    let fields = with(&csrf);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = browser.post("/patients/new", &fields).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location.unwrap();
    assert!(location.starts_with("/patients/pat_"), "{location}");
    let record = browser.get(&location).await;
    assert!(record.body.contains("Csrfmarker"));
    let after = browser.post("/patients/search", &search).await;
    assert!(after.body.contains("Csrfmarker"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_idle_timeout_and_revocation_each_make_the_cookie_useless() {
    let server = spawn_app(false).await;
    let admin = server
        .add_user("pages.owner@example.com", Role::Admin, None)
        .await;
    let provider = server
        .add_user("pages.injector@example.com", Role::Provider, None)
        .await;

    // Logout.
    let mut browser = Browser::new(&server);
    browser.login(&provider).await;
    let stolen = browser.jar.clone();
    let csrf = browser.csrf("/home").await;
    assert_eq!(
        browser.post("/logout", &[]).await.status,
        403,
        "logout needs the token"
    );
    let page = browser.post("/logout", &[("_csrf", &csrf)]).await;
    assert_eq!(page.status, 303);
    assert_eq!(browser.jar.session, None, "the cookie is removed");
    let mut thief = Browser::new(&server);
    thief.jar = stolen;
    let page = thief.get("/home").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/login?expired=1"));

    // Idle timeout: the status check does not keep the session alive; activity does.
    let mut browser = Browser::new(&server);
    browser.login(&provider).await;
    server.clock.advance_ms(10 * MINUTE);
    let status = browser.get("/session/status").await;
    assert_eq!(status.status, 200);
    assert!(
        status.body.contains(r#""remaining_ms":300000"#),
        "{}",
        status.body
    );
    server.clock.advance_ms(5 * MINUTE);
    assert_eq!(browser.get("/session/status").await.status, 401);
    assert_eq!(browser.get("/home").await.status, 303);

    // Admin revocation of one device.
    let mut phone = Browser::new(&server);
    phone.login(&provider).await;
    let mut desk = Browser::new(&server);
    desk.login(&provider).await;
    let mut owner = Browser::new(&server);
    assert_eq!(owner.login(&admin).await.status, 303);
    let page = owner.get(&format!("/admin/users/{}", provider.id)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let sessions = server
        .app
        .my_sessions(&actor_of(&server, &provider).await)
        .await
        .unwrap();
    let live: Vec<_> = sessions
        .iter()
        .filter(|s| s.ended_at_ms.is_none())
        .collect();
    assert_eq!(live.len(), 3, "phone, desk and the helper's own");
    let phone_session = live[1].id.clone(); // newest first: helper, desk, phone
    let csrf = hidden_csrf(&page.body);
    let page = owner
        .post(
            &format!("/admin/users/{}/sessions/{phone_session}/end", provider.id),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let remaining: Vec<u16> = [
        phone.get("/home").await.status,
        desk.get("/home").await.status,
    ]
    .into();
    assert_eq!(
        remaining.iter().filter(|s| **s == 303).count(),
        1,
        "{remaining:?}"
    );
    assert_eq!(
        remaining.iter().filter(|s| **s == 200).count(),
        1,
        "{remaining:?}"
    );

    // Admin signs the user out everywhere.
    let page = owner
        .post(
            &format!("/admin/users/{}/sessions/end", provider.id),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(phone.get("/home").await.status, 303);
    assert_eq!(desk.get("/home").await.status, 303);
}

/// A live API session's actor for `user`, to read their sessions back.
async fn actor_of(server: &Server, user: &TestUser) -> vial_app::Actor {
    let token = server.token(user).await;
    server.app.authenticate(&token, None).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_reaches_its_home_and_is_refused_other_roles_pages() {
    let server = spawn_app(false).await;
    let staff = server
        .add_user("pages.desk@example.com", Role::Staff, None)
        .await;
    let admin = server
        .add_user("pages.manager@example.com", Role::Admin, None)
        .await;
    let provider = server
        .add_user("pages.np@example.com", Role::Provider, None)
        .await;

    let mut desk = Browser::new(&server);
    desk.login(&staff).await;
    assert!(desk.get("/home").await.body.contains("Front desk"));
    let before = server.audit().await.len();
    for path in ["/admin/users", "/admin/break-glass"] {
        let page = desk.get(path).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(page.body.contains("Not permitted"), "{path}");
    }
    let denied: Vec<_> = server.audit().await[before..]
        .iter()
        .filter(|(_, outcome, _)| outcome == "denied")
        .map(|(action, _, _)| action.clone())
        .collect();
    assert_eq!(denied, ["user.list", "break_glass.review"]);

    let mut np = Browser::new(&server);
    np.login(&provider).await;
    assert!(np.get("/home").await.body.contains("Provider home"));
    assert_eq!(np.get("/admin/audit?patient_id=pat_x").await.status, 403);
    assert_eq!(
        np.get(&format!("/admin/users/{}", staff.id)).await.status,
        403
    );

    let mut owner = Browser::new(&server);
    owner.login(&admin).await;
    assert!(owner.get("/home").await.body.contains("Administration"));
    let users = owner.get("/admin/users").await;
    assert_eq!(users.status, 200);
    assert!(users.body.contains("pages.desk@example.com"));
    // Admins see operations, not the clinical search.
    let page = owner.get("/patients/new").await;
    assert_eq!(page.status, 200, "the form itself holds no PHI");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_provider_sets_up_their_own_account_and_a_second_admin_approves_it() {
    let server = spawn_app(false).await;
    let admin = server
        .add_user("pages.director@example.com", Role::Admin, None)
        .await;
    let second = server
        .add_user("pages.second@example.com", Role::Admin, None)
        .await;
    let mut owner = Browser::new(&server);
    owner.login(&admin).await;
    let csrf = owner.csrf("/admin/users").await;
    // The admin confirms it is them for each invitation: password and a fresh code.
    let fresh_code = || {
        server.next_step();
        server.code(&admin)
    };
    let shared = owner
        .post(
            "/admin/users",
            &[
                ("_csrf", &csrf),
                ("your_password", PASSWORD),
                ("your_code", &fresh_code()),
                ("name", "Front Desk"),
                ("email", "frontdesk@example.com"),
                ("role", "staff"),
            ],
        )
        .await;
    assert_eq!(shared.status, 422);
    assert!(shared.body.contains("accounts are personal"));
    // The ghost-provider attack of the probe: the admin once chose the password and received
    // the secret and the codes. Now the form has no password, and the page shows neither.
    let form = owner.get("/admin/users").await;
    assert!(
        !form.body.contains(r#"name="password""#),
        "no field to choose a password"
    );
    let invited = owner
        .post(
            "/admin/users",
            &[
                ("_csrf", &csrf),
                ("your_password", PASSWORD),
                ("your_code", &fresh_code()),
                ("name", "Nia Nurse"),
                ("email", "nia@example.com"),
                ("role", "provider"),
            ],
        )
        .await;
    assert_eq!(invited.status, 200, "{}", invited.body);
    assert!(invited.body.contains("Invitation created"));
    for secret_bit in ["data:image/svg+xml", "Key:", "<li><code>", "/invitation/"] {
        assert!(!invited.body.contains(secret_bit), "{secret_bit}");
    }
    let list = owner.get("/admin/users").await;
    assert!(list.body.contains("invited"), "{}", list.body);
    let mut anyone = Browser::new(&server);
    assert_eq!(
        anyone
            .login(&TestUser::with_secret(
                "nia@example.com",
                Role::Provider,
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            ))
            .await
            .status,
        401,
        "an invited account signs in with nothing"
    );

    // The operator prints the link; only Nia's browser opens it.
    let link = server.invitation_path("nia@example.com").await;
    let mut phone = Browser::new(&server);
    let page = phone.get(&link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data:image/svg+xml;base64,"));
    let start = page.body.find(r#"id="totp-secret">"#).unwrap() + r#"id="totp-secret">"#.len();
    let secret = page.body[start..start + page.body[start..].find('<').unwrap()].to_owned();
    let csrf = hidden_csrf(&page.body);
    let code = server.code_for(&secret);
    let mut form = SetUpForm {
        link: &link,
        csrf,
        secret: &secret,
    };
    let weak = form
        .post(&mut phone, "password1234", "password1234", &code)
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.body.contains("too common"), "{}", weak.body);
    assert!(weak.body.contains(&secret), "the scanned secret is kept");
    let differ = form
        .post(&mut phone, PASSWORD, "correct horse battery stapl", &code)
        .await;
    assert_eq!(differ.status, 422);
    assert!(differ.body.contains("differ"));
    let wrong = form.post(&mut phone, PASSWORD, PASSWORD, "000000").await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("does not match"), "{}", wrong.body);
    let mut foreign = Browser::new(&server);
    let cross = foreign
        .post_with(
            &link,
            &[
                ("_csrf", "x"),
                ("password", PASSWORD),
                ("password_again", PASSWORD),
            ],
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(cross.status, 403, "a cross-site post spends nothing");
    let welcome = form.post(&mut phone, PASSWORD, PASSWORD, &code).await;
    assert_eq!(welcome.status, 200, "{}", welcome.body);
    assert!(welcome.body.contains("awaiting-approval"));
    assert_eq!(
        welcome.body.matches("<li><code>").count(),
        10,
        "recovery codes"
    );
    let created = welcome;
    // The link worked once.
    let again = Browser::new(&server).get(&link).await;
    assert_eq!(again.status, 404);
    assert!(again.body.contains("no longer works"));

    // Set up, but not approved: no sign-in yet.
    let nia = TestUser::with_secret("nia@example.com", Role::Provider, &secret);
    let mut tablet = Browser::new(&server);
    assert_eq!(tablet.login(&nia).await.status, 401);
    // The inviting admin cannot approve; the second admin can.
    let approvals = owner.get("/approvals").await;
    assert!(
        approvals.body.contains("nia@example.com"),
        "{}",
        approvals.body
    );
    let nia_id = {
        let marker = r#"action="/approvals/"#;
        let start = approvals.body.find(marker).unwrap() + marker.len();
        approvals.body[start..start + approvals.body[start..].find('"').unwrap()].to_owned()
    };
    let approve = format!("/approvals/{nia_id}");
    let csrf = hidden_csrf(&approvals.body);
    let refused = owner
        .post(
            &approve,
            &[
                ("_csrf", &csrf),
                ("password", PASSWORD),
                ("totp", &fresh_code()),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let mut other_admin = Browser::new(&server);
    other_admin.login(&second).await;
    let page = other_admin.get("/approvals").await;
    let csrf = hidden_csrf(&page.body);
    server.next_step();
    let approved = other_admin
        .post(
            &approve,
            &[
                ("_csrf", &csrf),
                ("password", PASSWORD),
                ("totp", &server.code(&second)),
            ],
        )
        .await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert!(
        other_admin
            .get("/approvals")
            .await
            .body
            .contains("Nothing awaits approval")
    );

    // The new provider signs in with a code from the scanned secret.
    assert_eq!(tablet.login(&nia).await.status, 303);
    assert!(tablet.get("/home").await.body.contains("Provider home"));

    // …and moves to a new phone: a new secret, confirmed with password, old code and new code.
    let page = tablet.get("/account/authenticator").await;
    assert!(page.body.contains("data:image/svg+xml;base64,"));
    let start = page.body.find(r#"id="totp-secret">"#).unwrap() + r#"id="totp-secret">"#.len();
    let new_secret = page.body[start..start + page.body[start..].find('<').unwrap()].to_owned();
    let csrf = hidden_csrf(&page.body);
    server.next_step();
    let old_code = server.code(&nia);
    let new_nia = TestUser::with_secret("nia@example.com", Role::Provider, &new_secret);
    let wrong = tablet
        .post(
            "/account/authenticator",
            &[
                ("_csrf", &csrf),
                ("password", PASSWORD),
                ("current_code", &old_code),
                ("new_secret", &new_secret),
                ("new_code", "000000"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    server.next_step();
    let (old_code, new_code) = (server.code(&nia), server.code(&new_nia));
    let done = tablet
        .post(
            "/account/authenticator",
            &[
                ("_csrf", &csrf),
                ("password", PASSWORD),
                ("current_code", &old_code),
                ("new_secret", &new_secret),
                ("new_code", &new_code),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("new authenticator is set up"));
    // The old app no longer signs in; the new one does.
    let mut other = Browser::new(&server);
    assert_eq!(other.login(&nia).await.status, 401);
    assert_eq!(other.login(&new_nia).await.status, 303);

    // Re-enrolment renewed the recovery codes: the admin saw the old ones, which no longer work.
    let codes = |body: &str| -> Vec<String> {
        body.split("<li><code>")
            .skip(1)
            .map(|rest| rest[..rest.find('<').unwrap()].to_owned())
            .collect()
    };
    let (old_codes, new_codes) = (codes(&created.body), codes(&done.body));
    assert_eq!((old_codes.len(), new_codes.len()), (10, 10));
    assert!(old_codes.iter().all(|c| !new_codes.contains(c)));
    let with_code = |code: &str| json!({"email": "nia@example.com", "password": PASSWORD, "recovery_code": code});
    assert_eq!(server.login(with_code(&old_codes[0])).await.0, 401);
    assert_eq!(server.login(with_code(&new_codes[0])).await.0, 200);

    // Her own password: the current one and a code again, the policy, and her other devices
    // signed out.
    let page = tablet.get("/account/password").await;
    assert_eq!(page.status, 200);
    let csrf = hidden_csrf(&page.body);
    let new_password = "violet lantern harbour sixty";
    let change = |current, new, confirm| PasswordForm {
        csrf: csrf.clone(),
        current,
        new,
        confirm,
    };
    let differ = change(PASSWORD, new_password, "violet lantern harbour sixt")
        .post(&server, &mut tablet, &new_nia)
        .await;
    assert_eq!(differ.status, 422);
    assert!(differ.body.contains("differ"));
    let weak = change(PASSWORD, "password1234", "password1234")
        .post(&server, &mut tablet, &new_nia)
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.body.contains("too common"), "{}", weak.body);
    let wrong = change("not my password!", new_password, new_password)
        .post(&server, &mut tablet, &new_nia)
        .await;
    assert_ne!(wrong.status, 200);
    let changed = change(PASSWORD, new_password, new_password)
        .post(&server, &mut tablet, &new_nia)
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert!(changed.body.contains("password-changed"));
    assert_eq!(tablet.get("/home").await.status, 200, "this device stays");
    assert_ne!(
        other.get("/home").await.status,
        200,
        "the other device is signed out"
    );
    server.next_step();
    let old =
        json!({"email": "nia@example.com", "password": PASSWORD, "totp": server.code(&new_nia)});
    assert_eq!(server.login(old).await.0, 401);
    server.next_step();
    let new = json!({"email": "nia@example.com", "password": new_password, "totp": server.code(&new_nia)});
    assert_eq!(server.login(new).await.0, 200);
    assert!(
        server
            .audit()
            .await
            .iter()
            .any(|(a, o, _)| a == "auth.password_change" && o == "allowed")
    );
}
