package mark

import "fmt"

// Verdict is the outcome of one scan.
type Verdict string

const (
	Accept        Verdict = "ACCEPT"         // a valid mark: take the item
	Reject        Verdict = "REJECT"         // a mark that fails a check (MARK-FORMAT §7): the record names the reasons
	NotAMark      Verdict = "NOT_A_MARK"     // the text does not start with EPM1: (a tracking barcode, another QR code)
	DuplicateScan Verdict = "DUPLICATE_SCAN" // same text re-scanned at the same counter within the window
	Error         Verdict = "ERROR"          // the scan could not be recorded: do not accept the item
)

// Reason is one finding of the checks of MARK-FORMAT §7.
type Reason string

// Reasons in the order of §7; Verify reports them in this order.
const (
	ReasonMalformed          Reason = "MALFORMED"
	ReasonUnsupportedVersion Reason = "UNSUPPORTED_VERSION"
	ReasonUnknownKey         Reason = "UNKNOWN_KEY"
	ReasonBadSignature       Reason = "BAD_SIGNATURE"
	ReasonKeyNotValid        Reason = "KEY_NOT_VALID"
	ReasonKeyRevoked         Reason = "KEY_REVOKED"
	ReasonNotYetValid        Reason = "NOT_YET_VALID"
	ReasonExpired            Reason = "EXPIRED"
	ReasonWrongOffice        Reason = "WRONG_OFFICE"
	ReasonUnknownClass       Reason = "UNKNOWN_CLASS"
	ReasonOverweight         Reason = "OVERWEIGHT"
	ReasonUnderpaid          Reason = "UNDERPAID"
	ReasonMissingTracking    Reason = "MISSING_TRACKING"
	ReasonBadTracking        Reason = "BAD_TRACKING"
	ReasonRevoked            Reason = "REVOKED"
	// ReasonOtherContract is a verified mark of another contract than the
	// open batch's (MARK-FORMAT §8), reported after the reasons of step 4.
	ReasonOtherContract Reason = "OTHER_CONTRACT"
	ReasonReused        Reason = "REUSED"
)

// AllReasons lists every reason, for filters, metrics and translations.
var AllReasons = []Reason{
	ReasonMalformed, ReasonUnsupportedVersion, ReasonUnknownKey, ReasonBadSignature,
	ReasonKeyNotValid, ReasonKeyRevoked, ReasonNotYetValid, ReasonExpired,
	ReasonWrongOffice, ReasonUnknownClass, ReasonOverweight, ReasonUnderpaid,
	ReasonMissingTracking, ReasonBadTracking, ReasonRevoked, ReasonOtherContract, ReasonReused,
}

// Text is a reason in plain words for the operator, in Russian and English.
type Text struct{ RU, EN string }

// Explain returns the operator text of a reason.
func Explain(r Reason) Text {
	if t, ok := reasonText[r]; ok {
		return t
	}
	return Text{RU: string(r), EN: string(r)}
}

var reasonText = map[Reason]Text{
	ReasonMalformed:          {"Марка повреждена или заполнена неверно", "The mark is damaged or filled in wrongly"},
	ReasonUnsupportedVersion: {"Неизвестная версия марки", "Unknown mark version"},
	ReasonUnknownKey:         {"Марка подписана неизвестным ключом", "Signed with an unknown key"},
	ReasonBadSignature:       {"Подпись марки неверна — возможна подделка", "The signature does not verify: possible forgery"},
	ReasonKeyNotValid:        {"Ключ подписи не действовал на дату выпуска", "The signing key was not valid on the issue date"},
	ReasonKeyRevoked:         {"Ключ подписи отозван", "The signing key is revoked"},
	ReasonNotYetValid:        {"Марка ещё не действует", "The mark is not valid yet"},
	ReasonExpired:            {"Срок действия марки истёк", "The mark has expired"},
	ReasonWrongOffice:        {"Марка для другого отделения", "The mark is for another post office"},
	ReasonUnknownClass:       {"Неизвестный вид отправления", "Unknown mail class"},
	ReasonOverweight:         {"Отправление тяжелее оплаченного", "The item is heavier than paid for"},
	ReasonUnderpaid:          {"Оплачено меньше тарифа", "Less than the tariff was paid"},
	ReasonMissingTracking:    {"Нет трек-номера у заказного отправления", "Registered item without a tracking number"},
	ReasonBadTracking:        {"Неверный трек-номер", "Invalid tracking number"},
	ReasonRevoked:            {"Марка аннулирована (возврат или отмена)", "The mark was refunded or cancelled"},
	ReasonOtherContract:      {"Марка другого договора, не этой партии", "The mark is of another contract than this batch"},
	ReasonReused:             {"Марка уже использована", "The mark has already been used"},
}

// VerdictText returns the operator text of a verdict.
func VerdictText(v Verdict) Text {
	switch v {
	case Accept:
		return Text{"ПРИНЯТЬ", "ACCEPT"}
	case Reject:
		return Text{"ОТКАЗ", "REJECT"}
	case NotAMark:
		return Text{"Это не марка", "Not a postage mark"}
	case DuplicateScan:
		return Text{"Повторное сканирование", "Scanned again"}
	case Error:
		return Text{"Не записано: не принимайте отправление", "Not recorded: do not accept this item"}
	}
	return Text{string(v), string(v)}
}

// ClassText returns the mail class in words; an unknown class is named by
// its number.
func ClassText(class uint8) Text {
	if t, ok := classText[class]; ok {
		return t
	}
	return Text{fmt.Sprintf("вид %d", class), fmt.Sprintf("class %d", class)}
}

var classText = map[uint8]Text{
	ClassSimpleLetter:     {"простое письмо", "simple letter"},
	ClassRegisteredLetter: {"заказное письмо", "registered letter"},
	ClassPrintedMatter:    {"заказная бандероль", "registered printed matter"},
	ClassPostcard:         {"заказная карточка", "registered postcard"},
}
