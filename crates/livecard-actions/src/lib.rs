//! Contact actions and the lift/put-down gesture for livecard (DESIGN.md points 7 and 9).
//!
//! Everything here is pure: no IO, no clock, no Tauri. The app asks [`actions_for`] what a card
//! offers (tel:, sms:, app schemes with store / web fallbacks), shows those actions, opens the
//! URLs through its opener, and calls [`fallback_for`] when opening an app URL failed. For the
//! gesture, the UI feeds accelerometer samples to a [`GestureClassifier`] and maps a recognised
//! [`Gesture`] to a call or an SMS with [`action_for_gesture`].
//!
//! docs/ACTIONS.md and docs/GESTURES.md explain the choices.

pub mod actions;
pub mod gesture;
pub mod labels;
pub mod trace;

pub use actions::{
    action_for_gesture, actions_for, fallback_for, mailto_url, sms_body_url, sms_url,
    sms_url_with_body, tel_url, Action, ActionError, ActionKind, Fallback, FallbackKind,
    FallbackOffer, FieldActions, GestureMapping, GestureTarget, Platform, IOS_QUERY_SCHEMES,
    SCHEMES,
};
pub use gesture::{Gesture, GestureClassifier, GestureConfig, Sample};
pub use trace::{parse_trace_csv, TraceError};
