//! The page's own strings, in English and Portuguese: one catalog, keys in code, chosen by
//! `?lang=` or the `Accept-Language` header. A new language is one more column here.

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Pt,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Pt => "pt",
        }
    }

    fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "pt" => Some(Lang::Pt),
            _ => None,
        }
    }

    /// `?lang=` when it names a language of the catalog, else the first such language of
    /// `Accept-Language` by quality, else English.
    pub fn negotiate(query: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = query.and_then(Lang::from_tag) {
            return lang;
        }
        let mut ranked: Vec<(f32, usize, Lang)> = accept_language
            .unwrap_or_default()
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let lang = Lang::from_tag(pieces.next()?)?;
                let q =
                    pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
                (q > 0.0).then_some((q, i, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map_or(Lang::En, |r| r.2)
    }
}

/// (key, English, Portuguese).
const CATALOG: &[(&str, &str, &str)] = &[
    ("book_with", "Book with {name}", "Agende com {name}"),
    ("skip", "Skip to content", "Ir para o conteúdo"),
    ("my_bookings", "My bookings", "Minhas reservas"),
    ("new_booking", "Book", "Agendar"),
    (
        "needs_js",
        "This page needs JavaScript to show free times.",
        "Esta página precisa de JavaScript para mostrar os horários livres.",
    ),
    ("loading", "Loading…", "Carregando…"),
    ("services", "Choose a service", "Escolha um serviço"),
    ("no_services", "No services can be booked online right now.", "Nenhum serviço pode ser agendado online agora."),
    ("minutes", "{n} min", "{n} min"),
    ("nights", "{min}–{max} nights", "{min}–{max} noites"),
    ("from_price", "from {price}", "a partir de {price}"),
    ("date", "Choose a date", "Escolha uma data"),
    ("prev_month", "Previous month", "Mês anterior"),
    ("next_month", "Next month", "Próximo mês"),
    ("no_days", "No free times this month.", "Sem horários livres neste mês."),
    ("times", "Choose a time", "Escolha um horário"),
    ("times_on", "Free times on {date}", "Horários livres em {date}"),
    ("no_times", "No free times on this day.", "Sem horários livres neste dia."),
    ("your_zone", "Your time zone", "Seu fuso horário"),
    ("tenant_zone", "{name} is in {zone}", "{name} fica em {zone}"),
    ("there", "{time} there", "{time} lá"),
    ("change_service", "Change service", "Trocar serviço"),
    ("back", "Back", "Voltar"),
    (
        "taken",
        "Sorry, that time was just taken. Here are the times still free.",
        "Desculpe, esse horário acabou de ser reservado. Veja os horários ainda livres.",
    ),
    (
        "expired",
        "Your hold has expired. Please choose a time again.",
        "Sua reserva temporária expirou. Escolha um horário novamente.",
    ),
    ("held_for", "We hold this time for you for {time}.", "Guardamos este horário para você por {time}."),
    ("signin_title", "Sign in or register", "Entre ou cadastre-se"),
    ("signin_intro", "To hold your time, tell us who you are.", "Para guardar seu horário, diga quem você é."),
    ("register", "I am new here", "Sou novo aqui"),
    ("signin", "I have an account", "Já tenho conta"),
    ("name", "Full name", "Nome completo"),
    ("email", "E-mail", "E-mail"),
    ("password", "Password", "Senha"),
    ("password_hint", "At least 10 characters.", "Pelo menos 10 caracteres."),
    ("phone", "Phone (optional, +country code)", "Telefone (opcional, com +código do país)"),
    ("do_register", "Register and continue", "Cadastrar e continuar"),
    ("do_signin", "Sign in and continue", "Entrar e continuar"),
    ("signout", "Sign out", "Sair"),
    ("signed_in_as", "Signed in as {email}", "Conectado como {email}"),
    ("bad_login", "That e-mail and password do not match.", "E-mail e senha não conferem."),
    ("participants", "Who is it for?", "Para quem é?"),
    ("me", "Myself", "Eu mesmo"),
    ("continue", "Continue", "Continuar"),
    ("confirm_title", "Check and confirm", "Confira e confirme"),
    ("service", "Service", "Serviço"),
    ("when", "When", "Quando"),
    ("for_whom", "For", "Para"),
    ("price", "Price", "Preço"),
    ("confirm", "Confirm booking", "Confirmar reserva"),
    ("done_title", "You are booked", "Reserva confirmada"),
    ("status", "Status", "Situação"),
    ("done_status", "Status: {status}", "Situação: {status}"),
    ("add_calendar", "Add to calendar (.ics)", "Adicionar à agenda (.ics)"),
    ("manage", "Manage my bookings", "Gerenciar minhas reservas"),
    ("book_another", "Book another", "Agendar outro"),
    ("upcoming", "Upcoming", "Próximas"),
    ("past", "Past", "Anteriores"),
    ("none_upcoming", "No upcoming bookings.", "Nenhuma reserva futura."),
    ("none_past", "No past bookings.", "Nenhuma reserva anterior."),
    ("cancel", "Cancel…", "Cancelar…"),
    ("rebook", "Book again", "Agendar de novo"),
    (
        "refund_is",
        "If you cancel now, you get back {amount} ({percent}%).",
        "Se cancelar agora, você recebe de volta {amount} ({percent}%).",
    ),
    ("store_credit", "The refund is offered as store credit.", "O reembolso é oferecido como crédito na loja."),
    ("cancel_confirm", "Yes, cancel this booking", "Sim, cancelar esta reserva"),
    ("keep", "Keep it", "Manter"),
    (
        "cancel_refused",
        "This booking cannot be cancelled online: {why}",
        "Esta reserva não pode ser cancelada online: {why}",
    ),
    ("cancelled", "Cancelled. Refund: {amount}.", "Cancelada. Reembolso: {amount}."),
    ("status_confirmed", "confirmed", "confirmada"),
    ("status_pending", "pending", "pendente"),
    ("status_pending_approval", "awaiting approval", "aguardando aprovação"),
    ("status_cancelled", "cancelled", "cancelada"),
    ("status_completed", "completed", "concluída"),
    ("status_checked_in", "checked in", "presença registrada"),
    ("status_no_show", "no-show", "não compareceu"),
    ("error", "Something went wrong. Please try again.", "Algo deu errado. Tente novamente."),
    ("rate_limited", "Too many attempts. Please wait a minute.", "Muitas tentativas. Aguarde um minuto."),
    ("not_found_title", "Page not found", "Página não encontrada"),
    ("not_found", "There is no booking page at this address.", "Não há página de agendamento neste endereço."),
    ("support", "Questions? {email}", "Dúvidas? {email}"),
    ("embed_title", "Put this page on your site", "Coloque esta página no seu site"),
    (
        "embed_help",
        "Paste this where the booking page should appear. Your site's address must be among the tenant's embed origins.",
        "Cole isto onde a página deve aparecer. O endereço do seu site precisa estar entre as origens de incorporação.",
    ),
];

/// The strings of `lang`, by key.
pub fn strings(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    CATALOG.iter().map(|(k, en, pt)| (*k, if lang == Lang::Pt { *pt } else { *en })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_then_quality_order() {
        assert_eq!(Lang::negotiate(Some("pt"), Some("en")), Lang::Pt);
        assert_eq!(Lang::negotiate(Some("xx"), Some("pt-BR,en;q=0.5")), Lang::Pt);
        assert_eq!(Lang::negotiate(None, Some("fr, en;q=0.4, pt;q=0.8")), Lang::Pt);
        assert_eq!(Lang::negotiate(None, Some("pt;q=0")), Lang::En);
        assert_eq!(Lang::negotiate(None, None), Lang::En);
    }

    #[test]
    fn every_key_is_translated_once() {
        let mut keys = std::collections::HashSet::new();
        for (k, en, pt) in CATALOG {
            assert!(keys.insert(*k), "{k} twice");
            assert!(!en.is_empty() && !pt.is_empty(), "{k}");
        }
    }
}
