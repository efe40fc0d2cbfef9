//! SQL of the `meta` table: the write generation of the received-card list and the
//! non-secret `pin_set` flag.

use super::Store;
use crate::error::Result;

impl Store {
    /// The non-secret "a PIN is set" flag (`meta.pin_set`). The PIN state itself is in the
    /// keystore; the flag only tells the core that it must look there (and must refuse card
    /// data if the state is gone) — see docs/THREAT_MODEL.md.
    pub(crate) async fn pin_set_flag(&self) -> Result<bool> {
        let v: Option<i64> = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'pin_set'")
            .fetch_optional(&self.pool)
            .await?;
        Ok(v.unwrap_or(0) != 0)
    }

    /// Sets or clears the `meta.pin_set` flag.
    pub(crate) async fn set_pin_set_flag(&self, set: bool) -> Result<()> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('pin_set', ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(i64::from(set))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
