//! The practice's product catalogue and received stock. Reference and operational data, not
//! PHI: workforce may read it; admins and providers maintain it (received lots are logged).

use serde::Serialize;
use vial_clinical::{
    Catalogue, ProductInput, ReceivedLotInput, default_catalogue, validate_catalogue,
    validate_product, validate_received_lot,
};
use vial_store::{InventoryLotRow, TxRead};

use crate::gateway::Ask;
use crate::records::{new_id, today};
use crate::{Actor, App, AppError, AuditEvent, Audited};

/// A catalogue entry as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ProductView {
    #[serde(flatten)]
    pub product: ProductInput,
}

/// Stock of one lot; quantities in the product's unit (units or syringes).
#[derive(Debug, Clone, Serialize)]
pub struct InventoryLot {
    pub id: String,
    pub product: String,
    pub lot: String,
    pub expiry: String,
    pub received: f64,
    pub remaining: f64,
}

impl From<InventoryLotRow> for InventoryLot {
    fn from(r: InventoryLotRow) -> Self {
        Self {
            id: r.id,
            product: r.product_code,
            lot: r.lot,
            expiry: r.expiry,
            received: r.received as f64 / 100.0,
            remaining: r.remaining as f64 / 100.0,
        }
    }
}

/// The entry recorded when `actor` is refused a catalogue use case.
fn refused(actor: &Actor, action: &str) -> AuditEvent {
    AuditEvent::by(action, actor).purpose("operations")
}

impl App {
    /// The practice's catalogue, seeded with the default products on first use.
    pub(crate) async fn catalogue(&self) -> Result<Catalogue, AppError> {
        let rows = {
            let mut tx = self.store().begin_read().await?;
            tx.products().await?
        };
        if rows.is_empty() {
            let now = self.now_ms();
            let seed = default_catalogue().to_inputs();
            self.transact(move |work| {
                Box::pin(async move {
                    let tx = work.tx().await?;
                    if tx.products().await?.is_empty() {
                        for p in &seed {
                            let body = serde_json::to_string(p)
                                .map_err(|_| AppError::Invalid("product".into()))?;
                            tx.insert_product(&p.code, &body, now).await?;
                        }
                    }
                    Ok(())
                })
            })
            .await?;
            return Ok(default_catalogue());
        }
        decode_catalogue(&rows)
    }

    /// The catalogue (workforce).
    pub async fn products(&self, actor: &Actor) -> Result<Vec<ProductView>, AppError> {
        self.refuse_unless(actor, Ask::CatalogueRead, refused(actor, "catalogue.read"))
            .await?;
        Ok(self
            .catalogue()
            .await?
            .to_inputs()
            .into_iter()
            .map(|product| ProductView { product })
            .collect())
    }

    /// Adds a product to the catalogue (admins and providers).
    pub async fn add_product(&self, actor: &Actor, input: ProductInput) -> Result<(), AppError> {
        self.refuse_unless(actor, Ask::CatalogueMaintain, refused(actor, "product.add"))
            .await?;
        let product = validate_product(&input)?;
        self.catalogue().await?;
        let (code, body, now) = (
            product.code().as_str().to_owned(),
            serde_json::to_string(&product.to_input())
                .map_err(|_| AppError::Invalid("product".into()))?,
            self.now_ms(),
        );
        let event = AuditEvent::by("product.add", actor).resource("product", &code);
        self.transact(move |work| {
            Box::pin(async move {
                work.tx()
                    .await?
                    .insert_product(&code, &body, now)
                    .await
                    .map_err(|e| match AppError::from(e) {
                        AppError::Conflict(_) => AppError::Conflict("a product with this code"),
                        other => other,
                    })?;
                work.audit(event);
                Ok(())
            })
        })
        .await
    }

    /// Receives stock of a lot into inventory (admins and providers); an expired lot is refused.
    pub async fn receive_lot(
        &self,
        actor: &Actor,
        input: ReceivedLotInput,
    ) -> Result<String, AppError> {
        let event = refused(actor, "inventory.receive");
        self.refuse_unless(actor, Ask::CatalogueMaintain, event)
            .await?;
        let catalogue = self.catalogue().await?;
        let lot = validate_received_lot(&input, &catalogue, today(self.now_ms())?)?;
        let quantity = i64::from(lot.quantity()) * 100;
        let row = InventoryLotRow {
            id: new_id::<String>("lot"),
            product_code: lot.product().as_str().to_owned(),
            lot: lot.lot().as_str().to_owned(),
            expiry: vial_clinical::format_date(lot.expiry().date()),
            received: quantity,
            remaining: quantity,
            received_at_ms: self.now_ms(),
        };
        let event = AuditEvent::by("inventory.receive", actor).resource("inventory_lot", &row.id);
        let id = row.id.clone();
        self.transact(move |work| {
            Box::pin(async move {
                work.tx().await?.insert_inventory_lot(&row).await.map_err(
                    |e| match AppError::from(e) {
                        AppError::Conflict(_) => AppError::Conflict("this lot of this product"),
                        other => other,
                    },
                )?;
                work.audit(event);
                Ok(())
            })
        })
        .await?;
        Ok(id)
    }

    /// Stock on hand (workforce).
    pub async fn inventory(&self, actor: &Actor) -> Result<Vec<InventoryLot>, AppError> {
        self.refuse_unless(actor, Ask::CatalogueRead, refused(actor, "catalogue.read"))
            .await?;
        let mut tx = self.store().begin_read().await?;
        inventory_in(&mut *tx).await
    }
}

/// The stored products, as a checked catalogue.
fn decode_catalogue(rows: &[(String, String)]) -> Result<Catalogue, AppError> {
    let inputs = rows
        .iter()
        .map(|(_, body)| serde_json::from_str::<ProductInput>(body))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AppError::Unavailable("stored product does not decode".into()))?;
    Ok(validate_catalogue(&inputs)?)
}

/// The catalogue as stored in `tx`; before any is stored, the default one (stored by the first
/// use case that writes with it).
pub(crate) async fn catalogue_in(tx: &mut dyn TxRead) -> Result<Catalogue, AppError> {
    let rows = tx.products().await?;
    if rows.is_empty() {
        return Ok(default_catalogue());
    }
    decode_catalogue(&rows)
}

/// Stock on hand as stored in `tx`.
pub(crate) async fn inventory_in(tx: &mut dyn TxRead) -> Result<Vec<InventoryLot>, AppError> {
    Ok(tx
        .inventory_lots()
        .await?
        .into_iter()
        .map(InventoryLot::from)
        .collect())
}
