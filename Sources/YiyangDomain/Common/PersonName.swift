import Foundation

/// What a person's name may hold, in the registry, a contact or an account: letters of any
/// script, the separators names are written with (`·` in 买买提·艾力, a space, `-`, `'`, `.`),
/// and up to two combining marks on a letter. Control and invisible characters (zero width,
/// right-to-left overrides), markup, digits and other symbols are refused: they make a name
/// that looks like another one, or breaks the page or the bank file it is printed on.
public enum PersonName {
    static let separators: Set<Character> = ["·", "・", "•", "‧", " ", "-", "'", "."]
    static let maxCombiningMarks = 2

    /// `lettersOnly` false is for an account's display name, which may say "网格员 2（建北）":
    /// it refuses only the invisible characters, piled-up marks and markup.
    public static func issue(_ raw: String, field: String, lettersOnly: Bool = true) -> ValidationIssue? {
        func fail(_ rule: String, _ zh: String, _ en: String) -> ValidationIssue {
            ValidationIssue(field: field, rule: rule, message: LocalizedText(zh: zh, en: en))
        }
        var marksInARow = 0
        for scalar in raw.unicodeScalars {
            let category = scalar.properties.generalCategory
            switch category {
            // Private-use and not-yet-assigned code points stay allowed: rare characters (生僻字) of
            // public-security exchange files are often private-use, and newer CJK ones may be
            // unknown to this runtime's Unicode tables.
            case .privateUse, .unassigned:
                marksInARow = 0
                continue
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate:
                let code = String(format: "U+%04X", scalar.value)
                return fail("name.invisible_character", "姓名含有不可见或控制字符（\(code)），请重新输入",
                            "The name holds an invisible or control character (\(code)); type it again")
            case .nonspacingMark, .spacingMark, .enclosingMark:
                marksInARow += 1
                if marksInARow > maxCombiningMarks {
                    return fail("name.combining_marks", "姓名中一个字上叠加的符号过多", "Too many combining marks on one letter of the name")
                }
                continue
            default:
                marksInARow = 0
            }
            if !lettersOnly, scalar != "<", scalar != ">" { continue }
            // Alphabetic takes in Han characters and 〇, which some names are written with.
            if scalar.properties.isAlphabetic, category != .otherNumber { continue }
            if separators.contains(Character(scalar)) || scalar == "\u{3000}" { continue }
            let shown = Character(scalar)
            return lettersOnly
                ? fail("name.character", "姓名不能包含“\(shown)”：只能由文字和分隔符“·”“-”组成",
                       "The name cannot contain \"\(shown)\": only letters and the separators · - are allowed")
                : fail("name.character", "名称不能包含“\(shown)”", "The name cannot contain \"\(shown)\"")
        }
        return nil
    }
}
