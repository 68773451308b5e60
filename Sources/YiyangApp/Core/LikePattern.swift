import Fluent
import FluentSQL
import SQLKit

/// Searches typed by people, as `LIKE` patterns that treat `%`, `_` and `\` as the characters
/// they are, not wildcards: a search for `_` finds names with an underscore, not every name.
enum LikePattern {
    static func escaped(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "%" || c == "_" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    static func needsEscape(_ text: String) -> Bool { text.contains { $0 == "%" || $0 == "_" || $0 == "\\" } }

    /// `column LIKE pattern ESCAPE '\'` where the typed text is literal; `shape` adds the
    /// wildcards around it (`"%"` + text, text + `"%"`…). Both databases take the same clause.
    static func filter<M: Model>(_ query: QueryBuilder<M>, _ column: FieldKey, before: String = "", text: String,
                                 after: String = "") -> QueryBuilder<M> {
        let pattern = before + escaped(text) + after
        return query.filter(.sql(embed: "\(ident: M.schemaOrAlias).\(ident: column.description) LIKE \(bind: pattern) ESCAPE '\\'"))
    }
}
